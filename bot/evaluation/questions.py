"""Read a file of test questions for batch evaluation, one row at a time.

JSONL: one object per line with ``question`` (or ``query``) and optionally ``expected`` (or
``relevant``): a list of entry ids or FAQ questions (matched against every entry's question and
alternates), or one string with ``|`` between items. ``[]`` means "the FAQ does not answer this:
the bot should say so"; a missing or null label means the question is simply answered. Other
fields are kept and copied to the results (``kind``, ``rephr_group``...).

CSV: a header row with ``question`` (or ``query``) and optionally ``expected`` (or ``relevant``),
``|``-separated; an empty cell is "no label" and ``[]`` (or ``-``) is "the FAQ does not answer
this". Other columns are kept too.

Either format may give a row a ``history``: the visitor's earlier questions in the conversation,
oldest first (a JSON list; in CSV, one cell with "|" between them). The row's question is then
asked as the chat asks it, as a possible follow-up (bot/conversation.py).

Rows are read lazily, so a malformed row stops the run only when it is reached: the rows before
it have been evaluated and written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.corpus.model import normalise_question
from bot.errors import UserError

QUESTION_KEYS = ("question", "query")
HISTORY_KEY = "history"
LABEL_KEYS = ("expected", "relevant")
NOT_ANSWERABLE_MARKS = ("[]", "-")


class QuestionFileError(UserError):
    """A row of the questions file cannot be used; ``str()`` is ``file:line: what is wrong``."""

    def __init__(self, path: Path, line: int, message: str):
        self.path, self.line, self.message = Path(path), line, message
        super().__init__(f"{path}:{line}: {message}")


@dataclass
class LabeledQuestion:
    line: int
    question: str
    # Entry ids the bot should answer with; [] = should decline; None = no label given.
    expected: list[str] | None
    fields: dict = field(default_factory=dict)  # the row's other fields, kept for the results


class LabelResolver:
    """Turns labels (entry ids or FAQ question text) into entry ids."""

    def __init__(self, entries):
        self.ids = {e.id for e in entries}
        self.by_question: dict[str, list[str]] = {}
        for entry in entries:
            for question in entry.questions:
                ids = self.by_question.setdefault(normalise_question(question), [])
                if entry.id not in ids:
                    ids.append(entry.id)

    def resolve(self, labels: list[str]) -> list[str] | None:
        """Entry ids for ``labels``; raises KeyError naming the first label that matches no entry."""
        ids: list[str] = []
        for label in labels:
            found = [label] if label in self.ids else self.by_question.get(normalise_question(label))
            if not found:
                raise KeyError(label)
            ids += [i for i in found if i not in ids]
        return ids


def count_rows(path: Path) -> int:
    """Roughly how many rows ``path`` holds, for a progress bar (non-blank lines)."""
    try:
        lines = sum(1 for line in Path(path).open(encoding="utf-8", errors="replace") if line.strip())
    except OSError:
        return 0
    return max(lines - 1, 0) if Path(path).suffix.lower() == ".csv" else lines


def read_questions(path: Path, resolver: LabelResolver | None = None) -> Iterator[LabeledQuestion]:
    """Yield the rows of a JSONL or CSV questions file; raise QuestionFileError at the first
    malformed row (after the good rows before it have been yielded).

    Args:
        path: the questions file (``.jsonl``/``.json`` lines, or ``.csv``).
        resolver: when given, labels are turned into entry ids and an unknown label is an error.
    """
    path = Path(path)
    if not path.is_file():
        raise QuestionFileError(path, 0, "no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix in (".jsonl", ".json", ".ndjson"):
        rows = _jsonl_rows(path)
    else:
        raise QuestionFileError(path, 0, f"unsupported file type '{suffix}' (use .jsonl or .csv)")
    seen = False
    for line, raw in rows:
        seen = True
        yield _labeled(path, line, raw, resolver)
    if not seen:
        raise QuestionFileError(path, 1, "no questions found")


def _labeled(path: Path, line: int, raw: dict, resolver: LabelResolver | None) -> LabeledQuestion:
    question_key = next((k for k in QUESTION_KEYS if k in raw), None)
    if question_key is None:
        raise QuestionFileError(path, line, f"no '{QUESTION_KEYS[0]}' field (or '{QUESTION_KEYS[1]}')")
    question = raw[question_key]
    if not isinstance(question, str) or not question.strip():
        raise QuestionFileError(path, line, f"'{question_key}' must be non-empty text")
    label_key = next((k for k in LABEL_KEYS if k in raw), None)
    labels = raw.get(label_key) if label_key else None
    if isinstance(labels, str) and labels.strip().startswith("[") and labels.strip() != "[]":
        try:
            labels = json.loads(labels)  # a CSV cell may hold a JSON list
        except json.JSONDecodeError:
            raise QuestionFileError(path, line, f"'{label_key}' looks like a JSON list but is not valid JSON") from None
    if isinstance(labels, str):
        labels = [] if labels.strip() in NOT_ANSWERABLE_MARKS else [s.strip() for s in labels.split("|") if s.strip()]
    if labels is not None and (not isinstance(labels, list) or not all(isinstance(x, (str, int)) for x in labels)):
        raise QuestionFileError(path, line, f"'{label_key}' must be a list of entry ids or FAQ questions")
    expected = None if labels is None else [str(x) for x in labels]
    if expected and resolver is not None:
        try:
            expected = resolver.resolve(expected)
        except KeyError as exc:
            raise QuestionFileError(path, line, f"expected {exc.args[0]!r} is neither an entry id nor a question "
                                                "of the FAQ") from None
    fields = {k: v for k, v in raw.items() if k != question_key and k != label_key}
    history = fields.get(HISTORY_KEY)
    if history is not None and (not isinstance(history, list) or not all(
            isinstance(h, str) or (isinstance(h, dict) and isinstance(h.get("question"), str)) for h in history)):
        raise QuestionFileError(path, line, f"'{HISTORY_KEY}' must be a list of earlier questions, oldest first")
    if history is not None:
        fields[HISTORY_KEY] = history
    return LabeledQuestion(line, " ".join(question.split()), expected, fields)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open("rb") as handle:
        for number, data in enumerate(handle, start=1):
            try:
                text = data.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise QuestionFileError(path, number, "not valid UTF-8; save the file as UTF-8") from None
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise QuestionFileError(path, number, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
            if not isinstance(row, dict):
                raise QuestionFileError(path, number, "each line must be a JSON object")
            yield number, row


def _csv_rows(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise QuestionFileError(path, 1, "not valid UTF-8; save the file as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise QuestionFileError(path, 1, "no questions found") from None
    except csv.Error as exc:
        raise QuestionFileError(path, 1, f"not valid CSV: {exc}") from None
    if not any(k in header for k in QUESTION_KEYS):
        raise QuestionFileError(path, 1, "the header has no 'question' (or 'query') column")
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise QuestionFileError(path, reader.line_num, f"expected {len(header)} columns, found {len(row)}")
            raw: dict = dict(zip(header, row))
            for key in LABEL_KEYS:
                if key in raw and not raw[key].strip():
                    raw[key] = None  # an empty cell is "no label", not "should decline"
            if HISTORY_KEY in raw:  # earlier questions separated by "|"
                raw[HISTORY_KEY] = [h.strip() for h in raw[HISTORY_KEY].split("|") if h.strip()] or None
            yield reader.line_num, raw
    except csv.Error as exc:
        raise QuestionFileError(path, reader.line_num, f"not valid CSV: {exc}") from None
