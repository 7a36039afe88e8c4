"""What every importer produces: question/answer pairs, plus an account of what was left out.

Also the text rules all importers share, so that a question or an answer reads the same whichever
format it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.errors import UserError


class ImportFailure(UserError):
    """A source cannot be imported; the message is one line, names the source and says why."""


@dataclass
class Pair:
    question: str
    answer: str
    alternates: list[str] = field(default_factory=list)
    url: str = ""
    category: str = ""
    # When the source says its answer was last checked (a faqbot corpus's `reviewed:`), ISO date.
    reviewed: str = ""
    # An id the source itself gave (kept when it is a valid corpus id; otherwise one is derived).
    id: str = ""
    # Where in the source the pair was found, for the summary: "line 7", "JSON-LD question 3".
    where: str = ""
    # Rows of one source that share a group are one entry (QnA Maker lists each alternate
    # question as its own row with the same QnaId).
    group: str = ""


@dataclass
class Extraction:
    source: str                      # the source as the user named it
    method: str                      # how the pairs were found, e.g. "FAQPage JSON-LD"
    pairs: list[Pair] = field(default_factory=list)
    category: str = ""               # default category for this source (page title, file name)
    skipped: list[str] = field(default_factory=list)   # "where: why", for each thing not imported
    notes: list[str] = field(default_factory=list)     # anything else the owner should know


# Every character str.splitlines() breaks on: a Markdown corpus is read line by line, so any of
# these inside an answer would come back as "\n" (or split a question in two).
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Control characters, and the byte-order mark pages and exports carry mid-text (a corpus file
# may hold one only at its very start).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff]")
_HEADING_MARK = re.compile(r"^#+[ \t]+")
_BLANK_RUNS = re.compile(r"\n{3,}")

QUESTION_MARKS = ("?", "\uff1f", "\u061f")  # ASCII, full-width (CJK), Arabic
_QUESTION_WORDS = frozenset(
    "what how why when where who whom whose which can could do does did is are was were will would "
    "should shall may might must have has had am isn't aren't don't doesn't can't won't".split())


def tidy_question(text) -> str:
    """One line, single spaces: how the corpus stores a question."""
    return " ".join(_CONTROL.sub(" ", _LINE_BREAKS.sub(" ", str(text or ""))).split())


def tidy_answer(text) -> str:
    """Plain line breaks, no trailing spaces, at most one blank line between paragraphs."""
    text = _CONTROL.sub("", _LINE_BREAKS.sub("\n", str(text or "")))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def flatten_headings(answer: str) -> tuple[str, int]:
    """Drop Markdown heading marks ("## Fees" -> "Fees") at line starts.

    A Markdown corpus reads a line starting with "# " or "## " as a new category or question, so
    an answer cannot hold one; for a chat answer the heading's words are what matters anyway.
    Returns the text and how many lines changed.
    """
    lines = answer.split("\n")
    flattened = [_HEADING_MARK.sub("", line) for line in lines]
    return "\n".join(flattened), sum(a != b for a, b in zip(lines, flattened))


def ends_with_question_mark(text: str) -> bool:
    return text.rstrip().endswith(QUESTION_MARKS)


def is_question_like(text: str) -> bool:
    """Worded as a question: ends with a question mark, or starts with a question word."""
    words = text.split()
    if not 2 <= len(words) <= 40:
        return False
    return ends_with_question_mark(text) or words[0].lower().strip("\"'“‘¿¡(") in _QUESTION_WORDS
