"""What visitors thought of the answers, and what they asked that the FAQ could not answer.

One SQLite table in WAL mode (readers never block the writer; concurrent requests each get their
own short-lived connection), in the data folder of the corpus being served (feedback is kept per corpus). ``faqbot feedback export``
turns it into CSV or JSONL for the FAQ owner. With ``database_url`` set, the same records go to
PostgreSQL instead (bot/storage/postgres.py), so that several replicas share them.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from bot.errors import UserError

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('vote', 'unanswered')),
    vote TEXT CHECK (vote IN ('up', 'down') OR vote IS NULL),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    cited_ids TEXT NOT NULL,
    channel TEXT NOT NULL
)
"""
COLUMNS = ("id", "created_at", "kind", "vote", "question", "answer", "cited_ids", "channel")
# A lone surrogate is valid in JSON ("\ud800") but not in UTF-8, so SQLite cannot store it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A spreadsheet opening the CSV runs a cell that starts like this as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


class FeedbackLog:
    """What every feedback store offers; a store implements ``_insert`` and ``rows``."""

    def _insert(self, kind: str, vote: str | None, question: str, answer: str, cited_ids: list[str],
                channel: str) -> None:
        raise NotImplementedError

    def rows(self) -> list[dict]:
        raise NotImplementedError

    def record_vote(self, vote: str, question: str, answer: str, cited_ids: list[str], channel: str = "web") -> None:
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        self._insert("vote", vote, _storable(question), _storable(answer), [_storable(i) for i in cited_ids],
                     _storable(channel))

    def record_unanswered(self, question: str, answer: str, suggestion_ids: list[str], channel: str) -> None:
        self._insert("unanswered", None, _storable(question), _storable(answer),
                     [_storable(i) for i in suggestion_ids], _storable(channel))

    def write(self, out: TextIO, fmt: str) -> int:
        """Write every row to ``out`` as "csv" or "jsonl"; returns how many."""
        rows = self.rows()
        if fmt == "jsonl":
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            for row in rows:
                row = row | {"cited_ids": " ".join(row["cited_ids"])}
                writer.writerow({key: _inert(value) for key, value in row.items()})
        return len(rows)


class FeedbackStore(FeedbackLog):
    """The embedded default: SQLite in the corpus's data folder."""

    def __init__(self, data_dir: Path):
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        self.path = Path(data_dir) / "feedback.sqlite3"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # A generous timeout: under load, writers queue for the lock instead of failing.
        return sqlite3.connect(self.path, timeout=30)

    def _insert(self, kind: str, vote: str | None, question: str, answer: str, cited_ids: list[str],
                channel: str) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        db = self._connect()
        try:
            with db:
                db.execute(
                    "INSERT INTO feedback (created_at, kind, vote, question, answer, cited_ids, channel) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (now, kind, vote, question, answer, json.dumps(cited_ids), channel))
        finally:
            db.close()

    def rows(self) -> list[dict]:
        db = self._connect()
        try:
            cursor = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id")
            return [dict(zip(COLUMNS, row)) | {"cited_ids": json.loads(row[6])} for row in cursor]
        finally:
            db.close()


def _storable(text: str) -> str:
    return LONE_SURROGATE.sub("\ufffd", text)


def _inert(value: object) -> object:
    # The leading quote makes spreadsheets show the text as it is; JSONL keeps it exact.
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


class StorageUnavailable(UserError):
    """The feedback database cannot be reached right now (the API answers 503)."""

    exit_code = 1


def open_feedback_store(database_url: str, data_dir: Path, corpus_key: str) -> FeedbackLog:
    """PostgreSQL when ``database_url`` is set (shared by every replica), else SQLite in ``data_dir``."""
    if database_url:
        from bot.storage.postgres import PostgresFeedbackStore

        return PostgresFeedbackStore(database_url, corpus_key)
    return FeedbackStore(data_dir)
