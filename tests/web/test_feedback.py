"""Visitors' text that the API and the feedback store must survive: lone surrogates (valid JSON
escapes that no UTF-8 encoder accepts) and spreadsheet formulas in the owner's CSV export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from bot.web.feedback import FeedbackStore
from bot.web.server import build_app

FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "\0=1"]


@pytest.fixture(scope="module")
def api(default_bot, tmp_path_factory):
    store = FeedbackStore(tmp_path_factory.mktemp("feedback"))
    # A 500 is what this module guards against, so let it show as a status, not a raised error.
    return TestClient(build_app(default_bot, store), raise_server_exceptions=False), store


def post_raw_json(client: TestClient, path: str, body: str):
    # The JSON escape "\ud800" is valid JSON; clients that encode a str themselves cannot send it.
    return client.post(path, content=body.encode("ascii"), headers={"content-type": "application/json"})


@pytest.mark.parametrize("question", ["\\ud800", "\\udcff\\u200b", "\\u200b\\u2060\\ufeff"])
def test_a_question_of_lone_surrogates_or_invisible_characters_is_a_400(api, question):
    client, _ = api
    response = post_raw_json(client, "/api/ask", '{"question": "' + question + '"}')
    assert response.status_code == 400 and response.json() == {"error": "Please type a question."}


def test_a_lone_surrogate_inside_a_question_is_dropped_and_answered(api):
    client, _ = api
    response = post_raw_json(client, "/api/ask", '{"question": "PMO \\udcff salary?"}')
    assert response.status_code == 200 and response.json()["question"] == "PMO salary?"


def test_lone_surrogates_are_stored_replaced_and_exported(tmp_path):
    store = FeedbackStore(tmp_path)
    store.record_vote("down", "why \ud800?", "\udcffyes", ["pmo-admin", "\udfff"], channel="api")
    store.record_unanswered("\ud800", "not in our FAQ", ["\udcff"], "web\udfff")
    rows = store.rows()
    assert [(r["question"], r["answer"], r["cited_ids"], r["channel"]) for r in rows] == [
        ("why \ufffd?", "\ufffdyes", ["pmo-admin", "\ufffd"], "api"),
        ("\ufffd", "not in our FAQ", ["\ufffd"], "web\ufffd")]
    for fmt in ("csv", "jsonl"):
        exported(store, fmt).encode("utf-8")


def test_a_vote_with_lone_surrogates_is_not_a_server_error(api):
    client, _ = api
    body = '{"question": "why \\ud800?", "answer": "\\udcffyes", "cited_ids": ["pmo-admin"], "vote": "down"}'
    response = post_raw_json(client, "/api/feedback", body)
    assert response.status_code == 400 and response.json()["error"].startswith("Invalid request: question:")


def exported(store: FeedbackStore, fmt: str) -> str:
    out = io.StringIO(newline="")
    assert store.write(out, fmt) == len(store.rows())
    return out.getvalue()


def test_csv_export_neutralises_formulas_and_jsonl_keeps_the_text(tmp_path):
    store = FeedbackStore(tmp_path)
    for text in FORMULAS:
        store.record_vote("down", text, text, [text])
        store.record_unanswered(text, "not in our FAQ", [], "api")
    store.record_vote("up", "What is a PMO?", "A PMO is... = not a formula", ["pmo-what"])

    rows = list(csv.DictReader(io.StringIO(exported(store, "csv"), newline="")))
    hostile = [r for r in rows if r["question"] != "What is a PMO?"]
    assert len(hostile) == 2 * len(FORMULAS)
    for row in hostile:
        assert row["question"] == "'" + next(t for t in FORMULAS if row["question"][1:] == t)
    assert [r["answer"] for r in hostile if r["kind"] == "vote"] == ["'" + t for t in FORMULAS]
    assert [r["cited_ids"] for r in hostile if r["kind"] == "vote"] == ["'" + t for t in FORMULAS]
    assert {r["answer"] for r in hostile if r["kind"] == "unanswered"} == {"not in our FAQ"}
    assert rows[-1]["question"] == "What is a PMO?" and rows[-1]["answer"] == "A PMO is... = not a formula"
    assert rows[-1]["cited_ids"] == "pmo-what" and rows[-1]["id"].isdigit()

    lines = [json.loads(line) for line in exported(store, "jsonl").splitlines()]
    assert [r["question"] for r in lines if r["kind"] == "vote"] == FORMULAS + ["What is a PMO?"]
    assert [r["cited_ids"] for r in lines if r["kind"] == "vote"] == [[t] for t in FORMULAS] + [["pmo-what"]]
