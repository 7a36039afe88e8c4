"""FAQ pairs from spreadsheets: CSV, TSV and Excel rows.

- With a header row, columns are found by name (``question``, ``answer``, and optionally
  alternates, category, url, id; common synonyms such as "Response" or "Alternate questions" are
  understood). Other columns are ignored and the summary names them.
- Without a header (Dialogflow's FAQ CSV), each row is exactly ``question, answer``.
- QnA Maker's TSV export (``Question, Answer, Source, Metadata`` ...) lists each alternate wording
  as its own row with the same answer (and the same ``QnaId`` in newer exports): those rows become
  one entry. Its answers write line breaks as the two characters ``\\n``.
"""

from __future__ import annotations

import csv
import io
import re

from bot.importers.pairs import Extraction, ImportFailure, Pair, tidy_answer, tidy_question

# Header names (lower case, "_" and "-" read as spaces) -> the field they fill.
COLUMN_NAMES = {
    "question": "question", "questions": "question", "q": "question", "question text": "question",
    "answer": "answer", "answers": "answer", "a": "answer", "answer text": "answer", "response": "answer",
    "alternates": "alternates", "alternate questions": "alternates", "alternative questions": "alternates",
    "alternate": "alternates", "alternatives": "alternates", "also": "alternates", "paraphrases": "alternates",
    "similar questions": "alternates",
    "category": "category", "topic": "category", "section": "category",
    "url": "url", "link": "url", "source url": "url",
    "id": "id", "qid": "id",
    # QnA Maker's export columns
    "source": "source", "metadata": "metadata", "qnaid": "group", "qna id": "group",
}
ALTERNATE_SEPARATORS = re.compile(r"\s*\|\s*|\n")


def extract_from_delimited(text: str, name: str, delimiter: str | None) -> Extraction:
    """Pairs from CSV/TSV text; ``delimiter`` None means: guess between comma and semicolon."""
    if delimiter is None:
        delimiter = _guess_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFailure(f"{name}: not valid CSV ({exc})") from None
    # csv.reader counts physical lines; keep each row's first line number for messages.
    numbered, line = [], 1
    for row in rows:
        numbered.append((line, row))
        line += sum(cell.count("\n") for cell in row) + 1
    kind = "TSV" if delimiter == "\t" else "CSV"
    return extract_from_rows(numbered, name, kind)


def extract_from_rows(rows: list[tuple[int, list[str]]], name: str, kind: str) -> Extraction:
    """Pairs from numbered rows (line or row number, cells)."""
    rows = [(number, [cell.strip() for cell in cells]) for number, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise ImportFailure(f"no question/answer pairs found in {name} (it has no rows)")
    header = _read_header(rows[0][1], name)
    if header is None:
        return _without_header(rows, name, kind)
    columns, ignored = header
    is_qna_maker = "source" in columns and "metadata" in columns
    extraction = Extraction(name, f"{kind} with a header" + (" (QnA Maker export)" if is_qna_maker else ""))
    if ignored:
        extraction.notes.append(f"ignored column(s): {', '.join(repr(c) for c in ignored)}")
    for number, cells in rows[1:]:
        where = f"line {number}" if kind != "Excel" else f"row {number}"
        value = {field: cells[index] if index < len(cells) else "" for field, index in columns.items()}
        answer = value.get("answer", "")
        if is_qna_maker:
            answer = answer.replace("\\n", "\n")
        pair = _pair(where, value.get("question", ""), answer, extraction)
        if pair is None:
            continue
        pair.alternates = [a for a in ALTERNATE_SEPARATORS.split(value.get("alternates", "")) if a.strip()]
        pair.category = value.get("category", "") or _category_in_metadata_text(value.get("metadata", ""))
        pair.url = value.get("url", "") or (value.get("source", "") if _is_web_url(value.get("source", "")) else "")
        pair.id = value.get("id", "")
        if is_qna_maker:
            # Rows of one QnA Maker entry share their QnaId, or (older exports) their answer.
            pair.group = value.get("group", "") or f"answer:{answer.strip()}"
        extraction.pairs.append(pair)
    return extraction


def _without_header(rows, name: str, kind: str) -> Extraction:
    extraction = Extraction(name, f"{kind} without a header (question, answer)")
    for number, cells in rows:
        where = f"line {number}" if kind != "Excel" else f"row {number}"
        while cells and not cells[-1]:
            cells = cells[:-1]
        if len(cells) != 2:
            extraction.skipped.append(f"{where}: {len(cells)} column(s); without a header each row must be "
                                      "question, answer")
            continue
        pair = _pair(where, cells[0], cells[1], extraction)
        if pair is not None:
            extraction.pairs.append(pair)
    if not extraction.pairs:
        reason = extraction.skipped[0] if extraction.skipped else "no rows with both a question and an answer"
        raise ImportFailure(f"no question/answer pairs found in {name} ({reason})")
    return extraction


def _pair(where: str, question: str, answer: str, extraction: Extraction) -> Pair | None:
    question, answer = tidy_question(question), tidy_answer(answer)
    if not question and not answer:
        return None
    if not question:
        extraction.skipped.append(f"{where}: an answer without a question")
        return None
    if not answer:
        extraction.skipped.append(f"{where}: {question!r} has no answer")
        return None
    return Pair(question, answer, where=where)


def _read_header(cells: list[str], name: str) -> tuple[dict[str, int], list[str]] | None:
    """(field -> column index, ignored column names) if ``cells`` is a header row, else None."""
    fields = [COLUMN_NAMES.get(re.sub(r"[\s_\-]+", " ", cell.lower()).strip()) for cell in cells]
    if "question" not in fields and "answer" not in fields:
        return None
    missing = [f for f in ("question", "answer") if f not in fields]
    if missing:
        raise ImportFailure(f"{name}: the header row has no {' or '.join(repr(m) for m in missing)} column "
                            f"(found: {', '.join(repr(c) for c in cells)})")
    columns: dict[str, int] = {}
    ignored = []
    for index, (cell, field) in enumerate(zip(cells, fields)):
        if field is None or field in columns:
            if cell:
                ignored.append(cell)
            continue
        columns[field] = index
    return columns, ignored


def _category_in_metadata_text(metadata: str) -> str:
    # QnA Maker metadata is "key:value|key:value".
    for item in metadata.split("|"):
        key, _, value = item.partition(":")
        if key.strip().lower() in ("category", "topic") and value.strip():
            return value.strip()
    return ""


def _is_web_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _guess_delimiter(text: str) -> str:
    """Comma, unless the first line has more semicolons (European Excel saves CSV with ';')."""
    first = text.split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", first)
    return ";" if unquoted.count(";") > unquoted.count(",") else ","
