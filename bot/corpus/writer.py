"""Write FAQ entries as a corpus file (Markdown, JSONL or CSV) that ``bot.corpus.load_corpus``
reads back to exactly the same entries.

Each format has limits, checked before anything is written:

- Markdown reads a line starting with ``# `` or ``## `` as a new category or question, and
  refuses the other lines Markdown reads as headings (``###``, ``##text``, a line underlined with
  ``===`` or ``---``; see bot.corpus.markdown), so an answer cannot contain any of them; an entry's
  extra JSONL fields (metadata) are not kept.
- A corpus file may start with a byte-order mark (U+FEFF) but hold none elsewhere, so Markdown and
  CSV cannot hold one in any field; JSONL writes it escaped.
- CSV separates alternates with ``|``, so an alternate cannot contain one; metadata is not kept.
- JSONL keeps everything.

Every rendering is also read back with the corpus loader before it is used, so a file this
module writes always loads to the entries it was given (or nothing is written).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from pathlib import Path

from bot.corpus.markdown import HEADING_STARTS, heading_shape
from bot.corpus.model import VALID_ID, CorpusError, Entry
from bot.corpus.readers import BOM, CSV_COLUMNS, load_corpus
from bot.errors import UserError

FORMATS = ("md", "jsonl", "csv")
SUFFIX_FORMATS = {".md": "md", ".markdown": "md", ".jsonl": "jsonl", ".csv": "csv"}
# Characters that str.splitlines() breaks on besides "\n"; a corpus is read line by line.
_OTHER_LINE_BREAKS = re.compile(r"[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class CorpusWriteError(UserError):
    """The entries cannot be written in the requested format; ``problems`` says why, per entry."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def format_for(path: Path) -> str | None:
    return SUFFIX_FORMATS.get(Path(path).suffix.lower())


def ordered(entries: list[Entry], fmt: str) -> list[Entry]:
    """The order the entries will have in the file (and after loading it). A Markdown file is one
    run of entries per category, uncategorised ones first (a category lasts until the next)."""
    if fmt != "md":
        return list(entries)
    categories: dict[str, list[Entry]] = {"": []}
    for entry in entries:
        categories.setdefault(entry.category, []).append(entry)
    return [entry for group in categories.values() for entry in group]


def check(entries: list[Entry], fmt: str) -> tuple[list[str], list[str]]:
    """(problems that stop writing, warnings about what the format drops) for ``entries``."""
    problems: list[str] = []
    warnings: list[str] = []
    for entry in entries:
        label = f"entry '{entry.id}'"
        if not VALID_ID.fullmatch(entry.id):
            problems.append(f"{label}: invalid id (use letters, digits, '-', '_', '.', ':')")
        for name, value in (("question", entry.question), ("category", entry.category), ("url", entry.url),
                            *(("alternate", a) for a in entry.alternates)):
            if value != " ".join(value.split()):
                problems.append(f"{label}: {name} {value!r} must be one line without extra spaces")
        if not entry.question or not entry.answer.strip():
            problems.append(f"{label}: needs a question and an answer")
        if entry.answer != entry.answer.strip():
            problems.append(f"{label}: answer starts or ends with blank space")
        if fmt in ("md", "csv"):
            if _OTHER_LINE_BREAKS.search(entry.answer) or "\x00" in entry.answer:
                problems.append(f"{label}: answer contains a line break other than \\n, or a NUL character")
        if fmt == "md":
            problems += _markdown_answer_problems(label, entry.answer)
        if fmt in ("md", "csv") and any(BOM in value for value in (entry.question, entry.answer, entry.category,
                                                                   entry.url, *entry.alternates)):
            problems.append(f"{label}: contains a byte-order mark (U+FEFF), which {fmt} can only have at the "
                            "start of the file; remove it or use --format jsonl")
        if fmt == "csv" and any("|" in a for a in entry.alternates):
            problems.append(f"{label}: an alternate contains '|', which separates alternates in CSV; use --format jsonl")
    with_metadata = [e for e in entries if e.metadata]
    if with_metadata and fmt != "jsonl":
        example = with_metadata[0]
        warnings.append(f"{len(with_metadata)} entries have extra fields (e.g. '{example.id}': "
                        f"{', '.join(sorted(example.metadata))}) that {fmt} cannot hold; they are left out "
                        "(use --format jsonl to keep them)")
    return problems, warnings


def _markdown_answer_problems(label: str, answer: str) -> list[str]:
    """The first answer line the Markdown reader would not read back as answer text, if any."""
    previous = ""  # the answer follows a blank line
    for line in answer.split("\n"):
        if line.startswith(HEADING_STARTS):
            return [f"{label}: answer line {line[:40]!r} would start a new "
                    f"{'question' if line.startswith('## ') else 'category'} in Markdown; use --format jsonl"]
        shape = heading_shape(line, previous)
        if shape:
            shown = repr(line[:40]) + (f" under {previous[:40]!r}" if shape.kind == "a setext heading" else "")
            return [f"{label}: answer line {shown} would be read as {shape.kind} in Markdown; use --format jsonl"]
        previous = line
    return []


def render(entries: list[Entry], fmt: str, duplicate_questions: str = "error") -> str:
    """The file text for ``entries`` in ``fmt``, checked by reading it back (with the corpus's
    ``duplicate_questions`` policy, see bot.corpus.load_corpus).

    Raises CorpusWriteError if the format cannot hold the entries."""
    problems, _ = check(entries, fmt)
    if problems:
        raise CorpusWriteError(problems)
    entries = ordered(entries, fmt)
    text = {"md": _markdown, "jsonl": _jsonl, "csv": _csv}[fmt](entries)
    _verify(entries, text, fmt, duplicate_questions)
    return text


def _markdown(entries: list[Entry]) -> str:
    lines: list[str] = []
    category = ""
    for entry in entries:
        if entry.category != category:
            category = entry.category
            lines += [f"# {category}", ""]
        lines.append(f"## {entry.question}")
        lines.append(f"id: {entry.id}")
        lines += [f"also: {alternate}" for alternate in entry.alternates]
        if entry.url:
            lines.append(f"url: {entry.url}")
        if entry.reviewed:
            lines.append(f"reviewed: {entry.reviewed}")
        lines += ["", entry.answer, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _jsonl(entries: list[Entry]) -> str:
    lines = []
    for entry in entries:
        row = {"id": entry.id, "question": entry.question, "alternates": entry.alternates, "answer": entry.answer,
               "category": entry.category, "url": entry.url,
               **({"reviewed": entry.reviewed} if entry.reviewed else {}), **entry.metadata}
        line = json.dumps(row, ensure_ascii=False)
        # json.dumps leaves these unescaped, but the loader splits lines on them.
        line = line.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        # ... and the loader refuses a byte-order mark anywhere but at the start of a file.
        line = line.replace(BOM, "\\ufeff")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _csv(entries: list[Entry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # The reviewed column only when some entry has a date: other tools' CSVs stay as they were.
    dated = any(entry.reviewed for entry in entries)
    writer.writerow(CSV_COLUMNS if dated else CSV_COLUMNS[:-1])
    for entry in entries:
        row = [entry.id, entry.question, entry.answer, "|".join(entry.alternates), entry.category, entry.url]
        writer.writerow(row + [entry.reviewed] if dated else row)
    return buffer.getvalue()


def _comparable(entry: Entry, fmt: str) -> tuple:
    return (entry.id, entry.question, tuple(entry.alternates), entry.answer, entry.category, entry.url, entry.reviewed,
            json.dumps(entry.metadata, sort_keys=True) if fmt == "jsonl" else "")


def _verify(entries: list[Entry], text: str, fmt: str, duplicate_questions: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"check.{fmt}"
        path.write_bytes(text.encode("utf-8"))
        try:
            loaded = load_corpus(path, duplicate_questions)
        except CorpusError as exc:
            raise CorpusWriteError([f"the written {fmt} would not load: {p.message} (line {p.line})"
                                    for p in exc.problems]) from None
    for want, got in zip(entries, loaded):
        if _comparable(want, fmt) != _comparable(got, fmt):
            raise CorpusWriteError([f"entry '{want.id}' would not read back unchanged from {fmt}"])
    if len(loaded) != len(entries):
        raise CorpusWriteError([f"{len(entries)} entries would read back as {len(loaded)}"])


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: readers see the old file or the new one, never half.
    The temporary file starts with "." so a corpus folder being read ignores it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file private (0600); give it the mode the old file had, or the usual one.
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
