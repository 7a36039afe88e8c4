"""Shared fixtures: the real packaged model and real indexes, built once per test session."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import offline  # noqa: F401

from bot.config import DEFAULT_CORPUS, load_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED_README = ROOT.parent / "shared" / "seed" / "README.md"


def seed_questions() -> dict[str, list[str]]:
    """The questions the seed page lists, by section (### APM, ### PMO, ...)."""
    if not SEED_README.is_file():
        pytest.fail(f"the seed README is missing at {SEED_README}: tests need ../shared beside the checkout")
    text = SEED_README.read_text(encoding="utf-8")
    listed = text.split("## The questions the page lists", 1)[1]
    sections: dict[str, list[str]] = {}
    current = None
    for line in listed.splitlines():
        if line.startswith("### "):
            current = line[4:].strip()
            sections[current] = []
        elif current and line.startswith("- "):
            sections[current].append(line[2:].strip())
    return sections


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def embedder():
    from bot.embedder import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def default_bot(tmp_path_factory, embedder):
    """FAQBot over the default corpus, with its index built fresh in a temporary folder."""
    from bot.corpus import corpus_fingerprint, load_corpus
    from bot.engine import FAQBot
    from bot.index import build_index, load_index

    settings = load_settings(corpus=DEFAULT_CORPUS, index_dir=tmp_path_factory.mktemp("default-index"))
    build_index(load_corpus(settings.corpus), settings, embedder, corpus_fingerprint(settings.corpus), progress=False)
    return FAQBot(settings, embedder, load_index(settings.index_path))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"server did not answer {url} within {timeout} s")


def faqbot_command(*args: str) -> list[str]:
    """Run faqbot in a child Python that records (and refuses) any network connection that is
    not to this machine: see tests/netguard.py."""
    return [sys.executable, "-c", "import tests.netguard, sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))",
            *args]


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
