"""Feedback in PostgreSQL (psycopg 3), for replicas that share one database.

Chosen by ``database_url`` (FAQBOT_DATABASE_URL=postgresql://...). The program creates and
migrates its own schema: numbered steps, recorded in ``faqbot_schema``, applied under an
advisory lock so that replicas starting together do not race. Rows carry the corpus they belong
to, so one database can serve several corpora and ``faqbot feedback export`` reads only its own.

Feedback is not on the answer path. While the database is down a vote fails within a few seconds
with StorageUnavailable (the API answers 503, never hangs), and an unanswered question is kept in
memory and written once the database is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb

from bot.web.feedback import COLUMNS, FeedbackLog, StorageUnavailable

log = logging.getLogger("faqbot")
T = TypeVar("T")

MIGRATIONS = [
    """CREATE TABLE IF NOT EXISTS faqbot_feedback (
        id BIGSERIAL PRIMARY KEY,
        corpus TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        kind TEXT NOT NULL CHECK (kind IN ('vote', 'unanswered')),
        vote TEXT CHECK (vote IN ('up', 'down') OR vote IS NULL),
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        cited_ids JSONB NOT NULL,
        channel TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS faqbot_feedback_by_corpus ON faqbot_feedback (corpus, id)",
]
MIGRATION_LOCK = 0x66617162  # any constant shared by every replica
# Bounds on every wait: connecting, a statement on the server, and data the peer never
# acknowledges (a host that vanished without closing the connection).
CONNECT_OPTIONS = {"connect_timeout": 3, "options": "-c statement_timeout=5000", "tcp_user_timeout": 5000,
                   "autocommit": True}
MAX_IDLE = 16
MAX_PENDING = 10_000  # unanswered questions held while the database is down


class PostgresFeedbackStore(FeedbackLog):
    def __init__(self, url: str, corpus: str):
        self.url = url
        self.corpus = corpus
        info = conninfo_to_dict(url)
        # For messages: where the database is, never the password.
        self.where = f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname') or ''}"
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._migrated = False
        self._pending: deque = deque(maxlen=MAX_PENDING)
        self._flusher: threading.Thread | None = None
        try:
            self._run(lambda db: None)  # create or migrate the schema now, when the database is up
        except StorageUnavailable as exc:
            log.warning(f"{exc}; answering anyway, feedback is stored once it is back")

    def _take(self) -> tuple[psycopg.Connection, bool]:
        with self._lock:
            while self._idle:
                db = self._idle.pop()
                if not db.closed:
                    return db, True
        try:
            return psycopg.connect(self.url, **CONNECT_OPTIONS), False
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise StorageUnavailable(f"PostgreSQL at {self.where} is unreachable ({reason})") from None

    def _give(self, db: psycopg.Connection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append(db)
                return
        db.close()

    def _run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """``work`` in one transaction. A kept connection broken by a database restart gets one
        retry on a fresh connection; a database that cannot be reached raises StorageUnavailable."""
        for attempt in (1, 2):
            db, reused = self._take()
            try:
                if not self._migrated:
                    self._migrate(db)
                with db.transaction():
                    result = work(db)
            except psycopg.OperationalError as exc:
                db.close()
                if reused and attempt == 1:
                    continue
                raise StorageUnavailable(f"PostgreSQL at {self.where} failed ({str(exc).strip() or 'closed'})") \
                    from None
            except BaseException:
                db.close()
                raise
            self._give(db)
            return result
        raise AssertionError("unreachable")

    def _migrate(self, db: psycopg.Connection) -> None:
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS faqbot_schema (version INTEGER NOT NULL)")
            current = db.execute("SELECT coalesce(max(version), 0) FROM faqbot_schema").fetchone()[0]
            for version, step in enumerate(MIGRATIONS[current:], current + 1):
                db.execute(step)
                db.execute("INSERT INTO faqbot_schema (version) VALUES (%s)", (version,))
        self._migrated = True

    def _insert(self, kind: str, vote: str | None, question: str, answer: str, cited_ids: list[str],
                channel: str, created_at: datetime | None = None) -> None:
        # PostgreSQL text cannot hold NUL; SQLite can. Replaced the way lone surrogates are.
        question, answer, channel = (t.replace("\0", "\ufffd") for t in (question, answer, channel))
        row = (self.corpus, created_at or datetime.now(timezone.utc), kind, vote, question, answer,
               Jsonb([i.replace("\0", "\ufffd") for i in cited_ids]), channel)
        self._run(lambda db: db.execute(
            "INSERT INTO faqbot_feedback (corpus, created_at, kind, vote, question, answer, cited_ids, channel) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", row))

    def record_unanswered(self, question: str, answer: str, suggestion_ids: list[str], channel: str) -> None:
        try:
            super().record_unanswered(question, answer, suggestion_ids, channel)
        except StorageUnavailable as exc:
            # An answer was given; only the owner's log of it waits. The chat must not fail for it.
            if not self._pending:
                log.warning(f"{exc}; unanswered questions are kept in memory until it is back")
            self._pending.append((question, answer, suggestion_ids, channel, datetime.now(timezone.utc)))
            self._start_flusher()

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flusher is None or not self._flusher.is_alive():
                self._flusher = threading.Thread(target=self._flush, name="faqbot-feedback-flush", daemon=True)
                self._flusher.start()

    def _flush(self) -> None:
        while self._pending:
            time.sleep(1.0)
            try:
                while self._pending:
                    question, answer, ids, channel, created_at = self._pending[0]
                    self._insert("unanswered", None, question, answer, ids, channel, created_at)
                    self._pending.popleft()
            except StorageUnavailable:
                continue
        log.info(f"PostgreSQL at {self.where} is back; held unanswered questions were stored.")

    def rows(self) -> list[dict]:
        found = self._run(lambda db: db.execute(
            "SELECT id, created_at, kind, vote, question, answer, cited_ids, channel FROM faqbot_feedback "
            "WHERE corpus = %s ORDER BY id", (self.corpus,)).fetchall())
        return [dict(zip(COLUMNS, row)) | {"created_at": row[1].astimezone(timezone.utc).isoformat(timespec="seconds")}
                for row in found]

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()
