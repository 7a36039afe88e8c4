"""Load and validate a FAQ corpus from Markdown, JSONL or CSV files.

Every problem is reported as ``file:line: what is wrong``; all problems of a corpus are
collected before failing, so an owner can fix them in one pass.

Markdown: one category per file, ``# Category``, ``## Question?``, fields, then the answer (the
format is described in :mod:`bot.corpus.markdown`).

JSONL: one object per line with ``question`` and ``answer`` and optionally ``id``,
``alternates`` (a list, or a string split on ``|``), ``category``, ``url``, ``reviewed`` (a date
like 2026-11-26); any other fields
are kept as metadata. CSV: a header row of those same columns (unknown columns are an error).

A folder is searched recursively, following symlinks to files and folders; names starting with
"." or "_" are ignored, and so are files without a corpus suffix. Anything else that cannot be
read as a file or folder (a broken or looping symlink, a named pipe) is a problem at line 0.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import stat
from pathlib import Path

from bot.corpus.markdown import parse_markdown
from bot.corpus.model import CorpusError, Entry, Problem, make_entry, normalise_question

SUPPORTED_SUFFIXES = (".md", ".markdown", ".jsonl", ".csv")
CSV_COLUMNS = ("id", "question", "answer", "alternates", "category", "url", "reviewed")
ALTERNATE_SEPARATOR = "|"
BOM = "\ufeff"
_SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def corpus_files(path: Path) -> list[Path]:
    """The corpus files at ``path`` (a file, or a folder searched recursively), sorted.

    Raises CorpusError naming each entry of the folder that cannot be read (see find_corpus_files)."""
    files, problems = find_corpus_files(path)
    if problems:
        raise CorpusError(problems)
    return files


def find_corpus_files(path: Path) -> tuple[list[Path], list[Problem]]:
    """(the corpus files at ``path``, sorted; a problem for each thing there that cannot be read)."""
    path = Path(path)
    kind, why = _kind_of(path)
    if kind == "file":
        return [path], []
    if kind != "folder":
        return [], [Problem(path, 0, why)]
    files: list[Path] = []
    problems: list[Problem] = []
    _walk(path, {path.resolve()}, files, problems)
    return sorted(files), sorted(problems, key=lambda p: p.path)


def _walk(folder: Path, ancestors: set[Path], files: list[Path], problems: list[Problem]) -> None:
    try:
        children = list(folder.iterdir())
    except OSError as exc:
        problems.append(Problem(folder, 0, f"cannot read this folder: {exc.strerror}"))
        return
    for child in children:
        if child.name.startswith((".", "_")):
            continue  # hidden, drafts, and the writer's temporary files: ignored on purpose
        kind, why = _kind_of(child)
        if kind == "folder":
            real = child.resolve()
            if real in ancestors:
                problems.append(Problem(child, 0, f"symlink loop: this folder link leads back to {real}, "
                                                  "which contains it; delete the link"))
            else:
                _walk(child, ancestors | {real}, files, problems)
        elif kind == "file":
            if child.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(child)
        else:
            # Whatever the name: a broken link may have pointed at a folder of corpus files.
            problems.append(Problem(child, 0, why))


def _kind_of(path: Path) -> tuple[str, str]:
    """("file" | "folder" | "problem", why it is a problem), from the metadata alone: opening a
    named pipe to look inside would block until something writes to it."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        if path.is_symlink():
            return "problem", f"broken symlink: its target {os.readlink(path)!r} does not exist"
        return "problem", "no such file or folder"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "problem", "symlink loop: the link leads back to itself; point it at a real file or delete it"
        return "problem", f"cannot read: {exc.strerror}"
    if stat.S_ISDIR(info.st_mode):
        return "folder", ""
    if stat.S_ISREG(info.st_mode):
        return "file", ""
    what = next((name for test, name in _SPECIAL_FILES if test(info.st_mode)), "a special file")
    return "problem", f"not a regular file ({what}): corpus files must be ordinary files; it was not opened"


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
    files, problems = find_corpus_files(path)
    if not files and not problems:
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
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return [], [Problem(path, 0, f"unsupported file type '{suffix}' (use {', '.join(SUPPORTED_SUFFIXES)}; "
                                     "`faqbot import` converts pages, spreadsheets and other bots' exports)")]
    kind, why = _kind_of(path)
    if kind != "file":
        return [], [Problem(path, 0, why if kind == "problem" else "is a folder, not a corpus file")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Problem(path, 0, f"cannot read: {exc.strerror}")]
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
    # utf-8-sig took the one at the start. Any other is invisible and usually marks where two
    # files were joined; it would hide a '#' or a '{' at a line start. Name it, then read on
    # without it so the rest of the file is checked as the author sees it.
    problems = [Problem(path, number, "stray byte-order mark (U+FEFF), usually left by joining two files: "
                                      "delete it (it is invisible in most editors)")
                for number, line in enumerate(text.splitlines(), start=1) if BOM in line]
    parser = {".jsonl": _parse_jsonl, ".csv": _parse_csv}.get(suffix, parse_markdown)
    entries, parse_problems = parser(path, text.replace(BOM, ""))
    problems = sorted(problems + parse_problems, key=lambda p: p.line)
    if not entries and not problems:
        problems.append(Problem(path, 1, "no FAQ entries found"))
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
        bad_types = [k for k in ("id", "question", "answer", "category", "url", "reviewed")
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
        entry = make_entry(path, number, known, problems)
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
            entry = make_entry(path, number, raw, problems)
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
