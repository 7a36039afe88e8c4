"""Feedback in a real PostgreSQL (a private cluster started for the session): schema created and
migrated by the program, rows per corpus, export, and what happens while the database is down."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from bot.cli import main
from bot.engine import FAQBot
from bot.storage.postgres import MIGRATIONS, PostgresFeedbackStore
from bot.web.feedback import StorageUnavailable
from bot.web.server import build_app


@pytest.fixture()
def database(postgres):
    """The cluster with an empty feedback table for each test."""
    import psycopg

    with psycopg.connect(postgres.url, autocommit=True) as db:
        db.execute("DROP TABLE IF EXISTS faqbot_feedback, faqbot_schema")
    return postgres


def test_schema_is_created_once_and_rows_are_kept_per_corpus(database):
    first = PostgresFeedbackStore(database.url, "shop")
    second = PostgresFeedbackStore(database.url, "shop")  # a second replica starting: nothing re-run
    other = PostgresFeedbackStore(database.url, "other-faq")
    assert database.query("SELECT version FROM faqbot_schema ORDER BY version") == [
        (n,) for n in range(1, len(MIGRATIONS) + 1)]
    first.record_vote("up", "When do you open?", "At nine.", ["hours"], channel="api")
    second.record_unanswered("Weather in Leeds?", "Sorry...", ["hours", "delivery"], "web")
    other.record_vote("down", "Not mine", "x", [])
    rows = first.rows()
    assert [(r["kind"], r["vote"], r["question"], r["cited_ids"], r["channel"]) for r in rows] == [
        ("vote", "up", "When do you open?", ["hours"], "api"),
        ("unanswered", None, "Weather in Leeds?", ["hours", "delivery"], "web")]
    assert rows[0]["created_at"].endswith("+00:00") and len(other.rows()) == 1


def test_a_schema_from_an_older_version_is_migrated(database):
    import psycopg

    with psycopg.connect(database.url, autocommit=True) as db:  # as version 1 of the program left it
        db.execute("CREATE TABLE faqbot_schema (version INTEGER NOT NULL)")
        db.execute(MIGRATIONS[0])
        db.execute("INSERT INTO faqbot_schema VALUES (1)")
    PostgresFeedbackStore(database.url, "shop")
    assert database.query("SELECT max(version) FROM faqbot_schema") == [(len(MIGRATIONS),)]
    assert database.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'faqbot_feedback_by_corpus'") == [(1,)]


def test_text_postgres_cannot_hold_is_stored_replaced(database):
    store = PostgresFeedbackStore(database.url, "shop")
    store.record_vote("up", "nul\0 and lone \ud800 surrogate", "a", ["id\0"])
    row = store.rows()[0]
    assert row["question"] == "nul\ufffd and lone \ufffd surrogate" and row["cited_ids"] == ["id\ufffd"]


def test_feedback_export_reads_from_postgres(database, default_bot, monkeypatch, capsys, tmp_path):
    store = PostgresFeedbackStore(database.url, default_bot.settings.corpus_key)
    store.record_vote("up", "=1+1", "a", ["pmo-admin"])
    monkeypatch.setenv("FAQBOT_DATABASE_URL", database.url)
    monkeypatch.setenv("FAQBOT_DATA_DIR", str(tmp_path))  # no SQLite file here: the rows must come from PostgreSQL
    assert main(["feedback", "export", "--format", "jsonl"]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["kind"], e["question"]) for e in exported] == [("vote", "=1+1")]
    assert not (tmp_path / "feedback.sqlite3").exists()


def test_while_postgres_is_down_asks_are_answered_and_votes_get_a_quick_503(database, default_bot):
    store = PostgresFeedbackStore(database.url, default_bot.settings.corpus_key)
    bot = FAQBot(default_bot.settings.replace(rate_limit_per_minute=0), default_bot.encoder, default_bot.index)
    client = TestClient(build_app(bot, store), base_url="http://127.0.0.1:7860")
    vote = {"question": "Is PMO an admin job?", "answer": "a", "cited_ids": ["pmo-admin"], "vote": "up"}
    assert client.post("/api/feedback", json=vote).status_code == 200  # a pooled connection now exists
    database.stop("immediate")
    try:
        assert client.post("/api/ask", json={"question": "Is PMO an admin job?"}).status_code == 200
        unanswered = client.post("/api/ask", json={"question": "What is the capital of Australia?"})
        assert unanswered.status_code == 200 and unanswered.json()["answered"] is False
        start = time.monotonic()
        refused = client.post("/api/feedback", json={**vote, "question": "during the outage"})
        assert refused.status_code == 503 and "try again" in refused.json()["error"]
        assert refused.headers["retry-after"] == "5" and time.monotonic() - start < 5
        with pytest.raises(StorageUnavailable, match="unreachable"):
            store.rows()
    finally:
        database.start()
    # Back up: the next vote lands (the pooled connection broken by the restart is replaced), and
    # the unanswered question held in memory meanwhile is written.
    assert client.post("/api/feedback", json={**vote, "question": "after the outage"}).status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(store.rows()) < 3:
        time.sleep(0.2)
    assert [(r["kind"], r["question"]) for r in store.rows()] == [
        ("vote", "Is PMO an admin job?"), ("vote", "after the outage"),
        ("unanswered", "What is the capital of Australia?")]


def test_a_server_starts_and_answers_with_postgres_down(database):
    database.stop("immediate")
    try:
        start = time.monotonic()
        store = PostgresFeedbackStore(database.url, "shop")  # warns, does not raise
        assert time.monotonic() - start < 5
    finally:
        database.start()
    store.record_vote("up", "q", "a", [])
    assert len(store.rows()) == 1
