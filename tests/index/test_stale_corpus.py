"""A corpus mistake made after a good build: `ask` and `serve` keep answering from the last good
build and say why it is stale (log, /api/health); `index` and `corpus check` still fail with the
problem list; without any earlier build the mistake stays an error. Real model, real index."""

from __future__ import annotations

import logging

import pytest

from bot.cli import main
from bot.corpus import CorpusError
from bot.engine import FAQBot, ensure_index
from bot.index import current_build
from tests.index.shop import build

# A second entry reusing the id "hours": a mistake load_corpus reports at its line (line 16).
TYPO = "\n## Do you sell gift cards?\nid: hours\n\nYes, in every shop.\n"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append((record.levelno, record.getMessage()))


@pytest.fixture
def logged():
    handler = _Collect()
    logger = logging.getLogger("faqbot")
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def health(bot) -> dict:
    from fastapi.testclient import TestClient

    from bot.web.server import build_app

    return TestClient(build_app(bot), base_url="http://127.0.0.1:7860").get("/api/health").json()


def add_typo(settings):
    with open(settings.corpus / "shop.md", "a") as handle:
        handle.write(TYPO)


def cli(settings, *command):
    return main([*command, "--corpus", str(settings.corpus), "--index", str(settings.index_path)])


def test_corpus_typo_after_a_good_build_keeps_the_last_build_and_says_why(shop, embedder, logged):
    assert ensure_index(shop, lambda: embedder, lambda m: None, progress=False).action == "built"
    good = current_build(shop.index_path)
    add_typo(shop)
    status = ensure_index(shop, lambda: embedder, lambda m: None, progress=False)
    assert status.action == "stale" and status.stale and status.build == good
    assert status.problem.startswith("corpus/shop.md:16: duplicate id 'hours'")
    assert str(shop.corpus) not in status.problem  # no server paths in a public health reply

    bot = FAQBot.open(shop, log=lambda m: None, progress=False)
    assert current_build(shop.index_path) == good and bot.index.path == good
    assert bot.index_status.stale and bot.index_status.problem == status.problem
    assert bot.ask("When are you open?").citations[0].id == "hours"
    warnings = [m for level, m in logged if level == logging.WARNING]
    assert len(warnings) == 1 and "shop.md:16" in warnings[0] and bot.index.manifest["built_at"][:10] in warnings[0]

    # /api/health says the index is stale and why, beside the keys it always had.
    reply = health(bot)
    assert reply["status"] == "ok" and reply["entries"] == 2 and "index_built_at" in reply
    assert reply["index_stale"] is True and reply["index_problem"] == status.problem

    # Once a good build is swapped in, the bot no longer reports the old problem.
    (shop.corpus / "shop.md").write_text((shop.corpus / "shop.md").read_text().replace(TYPO, ""))
    build(shop, embedder)
    assert bot.reload() and not bot.index_status.stale and bot.index_status.problem is None


def test_ask_answers_from_the_last_build_with_a_one_line_warning(shop, embedder, capsys):
    build(shop, embedder)
    add_typo(shop)
    assert cli(shop, "ask", "When are you open?") == 0
    out, err = capsys.readouterr()
    assert "nine in the morning" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "shop.md:16" in lines[0] and "problem" in lines[0] and "faqbot index" in lines[0]

    assert cli(shop, "index") == 2
    assert "shop.md:16: duplicate id 'hours'" in capsys.readouterr().err
    assert main(["corpus", "check", "--corpus", str(shop.corpus)]) == 2
    assert "shop.md:16: duplicate id 'hours'" in capsys.readouterr().err


def test_fresh_index_reports_not_stale(shop, embedder):
    build(shop, embedder)
    bot = FAQBot.open(shop, log=lambda m: None, progress=False)
    assert bot.index_status.action == "fresh" and not bot.index_status.stale
    reply = health(bot)
    assert reply["index_stale"] is False and reply["index_problem"] is None


def test_without_an_earlier_build_a_corpus_mistake_is_still_an_error(shop, embedder, capsys):
    add_typo(shop)
    with pytest.raises(CorpusError):
        ensure_index(shop, lambda: embedder, lambda m: None, progress=False)
    assert cli(shop, "ask", "When are you open?") == 2
    assert "shop.md:16" in capsys.readouterr().err and current_build(shop.index_path) is None


def test_a_damaged_last_build_does_not_hide_the_corpus_mistake(shop, embedder, capsys):
    build(shop, embedder)
    (current_build(shop.index_path) / "views.json").write_text("[]")
    add_typo(shop)
    assert cli(shop, "ask", "When are you open?") == 2  # the corpus is what to fix first
    err = capsys.readouterr().err
    assert "shop.md:16: duplicate id 'hours'" in err and "Traceback" not in err
