"""Load and validate a FAQ corpus from Markdown, JSONL or CSV files.

Every problem is reported as ``file:line: what is wrong``; all problems of a corpus are
collected before failing, so an owner can fix them in one pass.

Markdown format (one category per file)::

    # Category name

    ## The main question?
    id: stable-id
    also: An alternate wording?
    also: Another one?
    url: https://example.org/where-this-comes-from

    The answer, one or more paragraphs.

JSONL: one object per line with ``question`` and ``answer`` and optionally ``id``,
``alternates`` (a list, or a string split on ``|``), ``category``, ``url``; any other fields
are kept as metadata. CSV: a header row of those same columns (unknown columns are an error).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

from bot.corpus.model import VALID_ID, CorpusError, Entry, Problem, normalise_question, slugify

SUPPORTED_SUFFIXES = (".md", ".markdown", ".jsonl", ".csv")
CSV_COLUMNS = ("id", "question", "answer", "alternates", "category", "url")
MARKDOWN_KEYS = ("id", "also", "url", "category")
ALTERNATE_SEPARATOR = "|"



def corpus_files(path: Path) -> list[Path]:
    """The corpus files at ``path`` (a file, or a folder searched recursively), sorted."""
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*")
            if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith((".", "_"))
        )
    raise CorpusError([Problem(path, 0, "no such file or folder")])


def corpus_fingerprint(path: Path) -> str:
    """A hash of every corpus file's name and bytes: it changes exactly when the corpus does."""
    digest = hashlib.sha256()
    root = Path(path)
    for file in corpus_files(root):
        name = file.name if root.is_file() else str(file.relative_to(root))
        digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


DUPLICATE_QUESTION_POLICIES = ("error", "allow")


def load_corpus(path: Path, duplicate_questions: str = "error") -> list[Entry]:
    """Load every entry under ``path``; raise CorpusError listing all problems found.

    Args:
        path: a corpus file or a folder of them.
        duplicate_questions: "error" (the default) reports a question asked by two entries;
            "allow" accepts it, for corpora that keep one entry per answer of the same question
            (StackFAQ's pairs). A question repeated within one entry, or a repeated id, is still
            an error.
    """
    if duplicate_questions not in DUPLICATE_QUESTION_POLICIES:
        raise ValueError(f"duplicate_questions is {duplicate_questions!r}; use 'error' or 'allow'")
    path = Path(path)
    files = corpus_files(path)
    problems: list[Problem] = []
    if not files:
        raise CorpusError([Problem(path, 0, f"no corpus files ({', '.join(SUPPORTED_SUFFIXES)}) found")])
    entries: list[Entry] = []
    for file in files:
        file_entries, file_problems = load_file(file)
        entries.extend(file_entries)
        problems.extend(file_problems)
    problems.extend(_check_unique(entries, allow_shared_questions=duplicate_questions == "allow"))
    if problems:
        raise CorpusError(problems)
    return entries


def load_file(path: Path) -> tuple[list[Entry], list[Problem]]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return [], [Problem(path, 0, f"unsupported file type '{suffix}' (use {', '.join(SUPPORTED_SUFFIXES)})")]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return [], [Problem(path, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return [], [Problem(path, line, "contains NUL bytes; this looks like a binary file, not a text corpus")]
    if not text.strip():
        return [], [Problem(path, 1, "file is empty")]
    parser = {".jsonl": _parse_jsonl, ".csv": _parse_csv}.get(suffix, _parse_markdown)
    entries, problems = parser(path, text)
    if not entries and not problems:
        problems.append(Problem(path, 1, "no FAQ entries found"))
    return entries, problems


def _finish(path: Path, line: int, raw: dict, problems: list[Problem]) -> Entry | None:
    """Validate one entry's fields and build it, or record why not."""
    question = _clean(raw.get("question"))
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
    alternates = [_clean(a) for a in raw.get("alternates", []) if _clean(a)]
    entry_id = _clean(raw.get("id")) or slugify(question)
    if not VALID_ID.fullmatch(entry_id):
        problems.append(Problem(path, line, f"invalid id {entry_id!r}: use letters, digits, '-', '_', '.', ':'"))
        return None
    return Entry(
        id=entry_id,
        question=question,
        answer=answer,
        alternates=alternates,
        category=_clean(raw.get("category")),
        url=_clean(raw.get("url")),
        metadata=raw.get("metadata", {}),
        origin=f"{path}:{line}",
    )


def _clean(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _parse_markdown(path: Path, text: str) -> tuple[list[Entry], list[Problem]]:
    problems: list[Problem] = []
    entries: list[Entry] = []
    category = ""
    current: dict | None = None
    in_metadata = False

    def close():
        if current is not None:
            current["answer"] = "\n".join(current.pop("lines")).strip()
            entry = _finish(path, current.pop("line"), current, problems)
            if entry:
                entries.append(entry)

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if line.startswith("## "):
            close()
            current = {"question": line[3:], "alternates": [], "lines": [], "line": number, "category": category}
            in_metadata = True
            continue
        if line.startswith("# "):
            close()
            current = None
            category = line[2:].strip()
            continue
        if current is None:
            continue  # text before the first question describes the file; it is not an entry
        if in_metadata:
            match = re.fullmatch(r"([A-Za-z_][\w-]*):\s*(.*)", stripped)
            if match and not stripped.lower().startswith(("http:", "https:")):
                key, value = match.group(1).lower(), match.group(2).strip()
                if key not in MARKDOWN_KEYS:
                    problems.append(Problem(path, number, f"unknown field '{key}' (known: {', '.join(MARKDOWN_KEYS)}); "
                                                          "leave a blank line between the fields and the answer"))
                elif key == "also":
                    current["alternates"].append(value)
                elif key in current and current[key] and key != "category":
                    problems.append(Problem(path, number, f"field '{key}' given twice"))
                else:
                    current[key] = value
                continue
            in_metadata = False
        current["lines"].append(line)
    close()
    return entries, problems


def _parse_jsonl(path: Path, text: str) -> tuple[list[Entry], list[Problem]]:
    problems: list[Problem] = []
    entries: list[Entry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(path, number, f"not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(path, number, "each line must be a JSON object"))
            continue
        known = {k: row[k] for k in CSV_COLUMNS if k in row}
        bad_types = [k for k in ("id", "question", "answer", "category", "url")
                     if k in known and not isinstance(known[k], (str, int)) and known[k] is not None]
        if bad_types:
            problems.append(Problem(path, number, f"field(s) {', '.join(bad_types)} must be text"))
            continue
        alternates = known.get("alternates") or []
        if isinstance(alternates, str):
            alternates = alternates.split(ALTERNATE_SEPARATOR)
        elif not isinstance(alternates, list) or not all(isinstance(a, str) for a in alternates):
            problems.append(Problem(path, number, "'alternates' must be a list of strings or a '|'-separated string"))
            continue
        known["alternates"] = alternates
        known["metadata"] = {k: v for k, v in row.items() if k not in CSV_COLUMNS}
        entry = _finish(path, number, known, problems)
        if entry:
            entries.append(entry)
    return entries, problems


def _parse_csv(path: Path, text: str) -> tuple[list[Entry], list[Problem]]:
    problems: list[Problem] = []
    entries: list[Entry] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        return [], [Problem(path, 1, f"not valid CSV: {exc}")]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        return [], [Problem(path, 1, f"unknown column(s) {', '.join(repr(u) for u in unknown)} "
                                     f"(allowed: {', '.join(CSV_COLUMNS)})")]
    missing = [c for c in ("question", "answer") if c not in header]
    if missing:
        return [], [Problem(path, 1, f"missing required column(s): {', '.join(missing)}")]
    if len(set(header)) != len(header):
        return [], [Problem(path, 1, "a column name appears twice in the header")]
    try:
        for row in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(Problem(path, number, f"expected {len(header)} columns, found {len(row)}"))
                continue
            raw = dict(zip(header, row))
            raw["alternates"] = raw.get("alternates", "").split(ALTERNATE_SEPARATOR)
            entry = _finish(path, number, raw, problems)
            if entry:
                entries.append(entry)
    except csv.Error as exc:
        problems.append(Problem(path, reader.line_num, f"not valid CSV: {exc}"))
    return entries, problems


def _check_unique(entries: list[Entry], allow_shared_questions: bool = False) -> list[Problem]:
    """Ids must be unique, and no question may be asked by two entries (or twice by one;
    ``allow_shared_questions`` permits the former only)."""
    problems: list[Problem] = []
    ids: dict[str, Entry] = {}
    questions: dict[str, tuple[Entry, str]] = {}
    for entry in entries:
        path, line = entry.origin.rsplit(":", 1)
        if entry.id in ids:
            problems.append(Problem(Path(path), int(line), f"duplicate id '{entry.id}' (first used at {ids[entry.id].origin})"))
        else:
            ids[entry.id] = entry
        own: set[str] = set()
        for q in entry.questions:
            key = normalise_question(q)
            if key in own:
                problems.append(Problem(Path(path), int(line), f"duplicate question {q!r} (also in this entry)"))
            elif key in questions and not allow_shared_questions:
                other, _ = questions[key]
                problems.append(Problem(Path(path), int(line), f"duplicate question {q!r} (also in {other.origin} ('{other.id}'))"))
            else:
                questions.setdefault(key, (entry, q))
            own.add(key)
    return problems
