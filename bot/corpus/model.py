"""What a FAQ corpus is made of: entries, and the problems found while reading them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.errors import UserError

# Ids are written bare after "id:" in Markdown and end up in URLs (/source/<id>).
VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")


@dataclass
class Entry:
    id: str
    question: str
    answer: str
    alternates: list[str] = field(default_factory=list)
    category: str = ""
    url: str = ""
    # When someone last checked the answer against its source (ISO date, "" if never said).
    reviewed: str = ""
    # Any other fields of a JSONL row (e.g. a benchmark's thread id), kept as they came.
    metadata: dict = field(default_factory=dict)
    # Where the entry was defined, for error messages: "file:line".
    origin: str = ""

    @property
    def questions(self) -> list[str]:
        return [self.question, *self.alternates]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class CorpusError(UserError):
    """The corpus has problems; ``problems`` lists each with its file and line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def normalise_question(text: str) -> str:
    """Key used to find the same question written twice (case, punctuation, spacing ignored)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


def slugify(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).casefold())
    return "-".join(words)[:80] or "entry"


def clean_text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def make_entry(path: Path, line: int, raw: dict, problems: list[Problem]) -> Entry | None:
    """Validate one entry's fields, as any reader found them, and build it, or record why not."""
    question = clean_text(raw.get("question"))
    answer = (raw.get("answer") or "").strip()
    ok = True
    if not question:
        problems.append(Problem(path, line, "missing question"))
        ok = False
    if not answer:
        problems.append(Problem(path, line, f"missing answer for question {question!r}" if question else "missing answer"))
        ok = False
    if not ok:
        return None
    alternates = [clean_text(a) for a in raw.get("alternates", []) if clean_text(a)]
    entry_id = clean_text(raw.get("id")) or slugify(question)
    if not VALID_ID.fullmatch(entry_id):
        problems.append(Problem(path, line, f"invalid id {entry_id!r}: use letters, digits, '-', '_', '.', ':'"))
        return None
    reviewed = clean_text(raw.get("reviewed"))
    if reviewed and not _is_iso_date(reviewed):
        problems.append(Problem(path, line, f"reviewed {reviewed!r} is not a date: write it as 2026-11-26"))
        return None
    return Entry(
        id=entry_id,
        question=question,
        answer=answer,
        alternates=alternates,
        category=clean_text(raw.get("category")),
        url=clean_text(raw.get("url")),
        reviewed=reviewed,
        metadata=raw.get("metadata", {}),
        origin=f"{path}:{line}",
    )


def _is_iso_date(text: str) -> bool:
    from datetime import date

    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and bool(date.fromisoformat(text))
    except ValueError:
        return False
