"""`faqbot corpus check` warns about entries that load but likely mislead: a source page cited by
many entries, a bare home page as the source, an answer that opens by not answering."""

from __future__ import annotations

from bot.cli import main
from bot.corpus import load_corpus
from bot.corpus.advice import advise


def corpus(tmp_path, entries: list[tuple[str, str, str]]) -> object:
    text = "# Shop\n\n" + "".join(f"## {q}\nid: {q.split()[1].lower().strip('?')}\nurl: {u}\n\n{a}\n\n"
                                  for q, u, a in entries)
    path = tmp_path / "shop.md"
    path.write_text(text)
    return path


def test_many_entries_citing_one_page_are_flagged_once(tmp_path, capsys):
    site = "https://shop.example/help/faq"
    path = corpus(tmp_path, [(f"How {w} this?", site, f"Like {w}.") for w in ("do", "can", "will", "should")]
                  + [("How long is delivery?", "https://shop.example/help/delivery", "Two days.")])
    warnings = advise(load_corpus(path))
    assert len(warnings) == 1 and str(warnings[0]).startswith(f"{path}:3: 4 entries cite {site} (do, can, will, should)")
    assert main(["corpus", "check", "--corpus", str(path)]) == 0  # warnings, not errors
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: 5 entries, no problems, 1 warning(s):\n  {path}:3: 4 entries cite")


def test_home_pages_and_answers_that_dodge_are_flagged(tmp_path):
    path = corpus(tmp_path, [
        ("How much does delivery cost?", "https://shop.example/", "There is no single price, because it varies."),
        ("How long does delivery take?", "https://shop.example/help/delivery", "It depends on where you live."),
        ("What is the best size?", "https://shop.example/help/sizes", "The right size depends on your height."),
        ("Do you deliver on Sundays?", "https://shop.example/help/sundays", "No, it depends on the courier."),
        ("When do you open?", "https://shop.example/help/hours", "At nine, and we close at six; Sunday hours depend on the season."),
    ])
    messages = [w.message for w in advise(load_corpus(path))]
    assert messages[0].startswith("'much' cites a home page (https://shop.example/)")
    assert [m.split()[0] for m in messages if "opens with" in m] == ["'much'", "'long'", "'is'"]


def test_the_default_corpus_sources_are_specific(capsys):
    # Every entry of the project's own FAQ cites the page that holds its answer, and answers first.
    assert main(["corpus", "check"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("58 entries, no problems.\n"), out
