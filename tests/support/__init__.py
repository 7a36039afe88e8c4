"""What tests, scripts and benchmarks share: the project's folders, its test data, and running
the real `faqbot` in a child process with a network guard. Fixtures are in tests/conftest.py."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from bot import offline  # noqa: F401
from bot.paths import default_corpus

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
DEFAULT_CORPUS = default_corpus()


# A two-entry FAQ for tests that need a real server on a small corpus.
SHOP_CORPUS = """# Shop

## What are your opening hours?
id: hours
url: https://example.org/hours

We open at nine sharp and close at six on weekdays.

## Do you deliver abroad?
id: delivery
url: https://example.org/delivery

Yes, we ship to most countries in Europe within five working days.
"""


def seed_questions() -> dict[str, list[str]]:
    """The questions the seed page lists, by section (APM, PMO, Programme manager)."""
    data = json.loads((DATA / "seed_questions.json").read_text(encoding="utf-8"))
    return data["sections"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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
    not to this machine: see tests/support/netguard.py."""
    return [sys.executable, "-c", "import tests.support.netguard, sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))",
            *args]


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
