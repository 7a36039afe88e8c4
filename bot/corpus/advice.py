"""Advice on a corpus that loads fine but may mislead: the bot cites each entry's `url:` as the
source of its answer, and shows the answer's first sentence first. These are warnings for the
owner (`faqbot corpus check`), not errors: the corpus still loads and answers."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from bot.corpus.model import Entry, Problem

# A page rarely holds more than a few answers: past this many entries citing one URL (or a tenth
# of the corpus, for large ones), it is likely a site-wide page rather than each answer's source.
MAX_ENTRIES_PER_URL = 3
# A first sentence that puts off the answer instead of giving it: "There is no single answer,
# because...", or "depends on" within its first few words ("The right choice depends on...").
# One that opens with yes or no has answered already.
DODGE = re.compile(r"^\W*(?:\S+\s+){0,5}(?:depends\s+(?:on|upon)|varies)\b|^\W*there\s+is\s+no\s+(?:single|simple|one|set|fixed|"
                   r"straight|easy)\b|^\W*everyone\s+is\s+different\b", re.IGNORECASE)
ANSWERED = re.compile(r"^\W*(?:yes|no)\b", re.IGNORECASE)


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]


def _where(entry: Entry) -> tuple[Path, int]:
    path, _, line = entry.origin.rpartition(":")
    return Path(path or entry.origin), int(line) if line.isdigit() else 0


def advise(entries: list[Entry]) -> list[Problem]:
    """Warnings about entries whose source or opening is likely wrong, each at its file:line."""
    warnings = []
    by_url = defaultdict(list)
    for entry in entries:
        if entry.url:
            by_url[entry.url].append(entry)
        parts = urlsplit(entry.url)
        if parts.scheme in ("http", "https") and parts.path in ("", "/") and not parts.query:
            warnings.append(Problem(*_where(entry), f"'{entry.id}' cites a home page ({entry.url}); "
                                                    "link the page that says what the answer says"))
        opening = first_sentence(entry.answer)
        if DODGE.search(opening) and not ANSWERED.match(opening):
            opening = opening[:60]
            warnings.append(Problem(*_where(entry), f"'{entry.id}' opens with \"{opening}...\": give the answer "
                                                    "first, then say in one sentence what it depends on"))
    limit = max(MAX_ENTRIES_PER_URL, len(entries) // 10)
    for url, cited in by_url.items():
        if len(cited) > limit:
            ids = ", ".join(e.id for e in cited[:5]) + (", ..." if len(cited) > 5 else "")
            warnings.append(Problem(*_where(cited[0]), f"{len(cited)} entries cite {url} ({ids}); a page rarely "
                                                       "holds that many answers: point each to the page that says it"))
    return sorted(warnings, key=lambda w: (str(w.path), w.line))
