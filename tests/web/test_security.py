"""The server's rules, checked in-process on the real app (FastAPI + Gradio, real model and
index) through Starlette's TestClient: who may call and frame it, size and rate limits, escaping,
source pages and feedback storage."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from bot.cli import main
from bot.engine import FAQBot
from bot.web.feedback import FeedbackStore
from bot.web.server import build_app


def client_for(default_bot, tmp_path, **settings) -> tuple[TestClient, FeedbackStore]:
    bot = FAQBot(default_bot.settings.replace(**settings, data_dir=tmp_path), default_bot.encoder, default_bot.index)
    store = FeedbackStore(tmp_path)
    return TestClient(build_app(bot, store), base_url="http://127.0.0.1:7860"), store


@pytest.fixture(scope="module")
def app_client(default_bot, tmp_path_factory):
    return client_for(default_bot, tmp_path_factory.mktemp("data"), allowed_origins=["https://www.example.org"])


def test_every_response_carries_the_security_policy(app_client):
    client, _ = app_client
    for path in ("/", "/embed/", "/source/pmo-admin", "/api/health"):
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "connect-src 'self'" in csp
        assert "frame-ancestors 'self' https://www.example.org" in csp
        assert response.headers["x-content-type-options"] == "nosniff"


def test_default_policy_allows_only_this_machine_to_frame(default_bot, tmp_path):
    client, _ = client_for(default_bot, tmp_path)
    csp = client.get("/api/health").headers["content-security-policy"]
    assert "frame-ancestors 'self' http://localhost:* http://127.0.0.1:*" in csp


def test_cors_allows_listed_origins_and_refuses_others(app_client):
    client, _ = app_client
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = client.options("/api/ask", headers={"origin": "https://www.example.org", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://www.example.org"
    refused = client.options("/api/ask", headers={"origin": "https://evil.example.com", **preflight})
    assert "access-control-allow-origin" not in refused.headers
    ok = client.post("/api/ask", json={"question": "Is PMO an admin job?"}, headers={"origin": "https://www.example.org"})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://www.example.org"
    # A foreign site's call is refused outright, not merely hidden from its script.
    foreign = client.post("/api/ask", json={"question": "Is PMO an admin job?"}, headers={"origin": "https://evil.example.com"})
    assert foreign.status_code == 403 and "may not use this bot" in foreign.json()["error"]


def test_request_size_limit(app_client):
    client, _ = app_client
    big = json.dumps({"question": "x" * 70_000})
    response = client.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "too large" in response.json()["error"]

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(20):
            yield b"x" * 5000

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_rate_limit_answers_429_with_retry_after(default_bot, tmp_path):
    client, _ = client_for(default_bot, tmp_path, rate_limit_per_minute=3)
    codes = [client.post("/api/ask", json={"question": "Is PMO an admin job?"}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = client.post("/api/ask", json={"question": "Is PMO an admin job?"})
    assert int(limited.headers["retry-after"]) >= 1 and "wait" in limited.json()["error"]
    assert client.get("/api/health").status_code == 200  # reading is not limited


def test_source_page_shows_the_entry_escaped(app_client, default_bot):
    client, _ = app_client
    page = client.get("/source/apm-self-study").text
    assert "<h1>Can you self study for APM?</h1>" in page and "Also asked as" in page
    assert default_bot.entry("apm-self-study").url in page and "Last reviewed: <time" in page
    missing = client.get("/source/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert missing.status_code == 404 and "<img" not in missing.text and "&lt;img src=x onerror=alert(1)&gt;" in missing.text


def test_widget_script_docs_and_openapi_are_served(app_client):
    client, _ = app_client
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("application/javascript")
    assert "attachShadow" in widget.text and "/embed/" in widget.text
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/health", "/api/feedback", "/source/{entry_id}"} <= set(paths)


def test_feedback_and_unanswered_questions_are_stored_and_exported(default_bot, tmp_path, capsys, monkeypatch):
    client, store = client_for(default_bot, tmp_path)
    vote = {"question": "Is PMO an admin job?", "answer": "Some entry-level...", "cited_ids": ["pmo-admin"], "vote": "up"}
    assert client.post("/api/feedback", json=vote).json() == {"status": "stored"}
    assert client.post("/api/feedback", json={**vote, "vote": "meh"}).status_code == 400
    assert client.post("/api/ask", json={"question": "What is the capital of Australia?"}).json()["answered"] is False
    rows = store.rows()
    assert [(r["kind"], r["vote"], r["channel"]) for r in rows] == [("vote", "up", "api"), ("unanswered", None, "api")]
    assert rows[0]["cited_ids"] == ["pmo-admin"] and rows[1]["question"] == "What is the capital of Australia?"

    monkeypatch.setenv("FAQBOT_DATA_DIR", str(tmp_path))
    assert main(["feedback", "export", "--format", "jsonl"]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["kind"] for e in exported] == ["vote", "unanswered"]
    assert main(["feedback", "export"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "id,created_at,kind,vote,question,answer,cited_ids,channel" and len(lines) == 3


def test_concurrent_feedback_writes_are_all_stored(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    store = FeedbackStore(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: store.record_vote("up" if i % 2 else "down", f"q{i}", "a", ["x"]), range(200)))
    assert len(store.rows()) == 200


# --- every way in goes through the same gate ----------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/gradio_api/call/chat", "/gradio_api/call/v2/chat", "/gradio_api/run/chat", "/gradio_api/api/chat",
    "/embed/gradio_api/call/chat", "/gradio_api/upload", "/embed/gradio_api/upload", "/gradio_api/component_server",
])
def test_gradio_routes_the_page_does_not_use_are_closed(app_client, path):
    client, _ = app_client
    response = client.post(path, json={"data": ["Is PMO an admin job?"]})
    assert response.status_code == 404 and "POST /api/ask" in response.json()["error"]


def test_uploads_are_refused_and_nothing_is_kept(app_client, tmp_path):
    client, _ = app_client
    response = client.post("/gradio_api/upload", files={"files": ("x.txt", b"hello" * 1000, "text/plain")})
    assert response.status_code == 404


def page_event(client, prefix: str, name: str, data: list, **body):
    """POST one event of a chat page to run/predict, as the page does, by its function's name."""
    events = client.get(f"{prefix}/config").json()["dependencies"]
    fn_index = next(e["id"] for e in events if e["api_name"] == name)
    return client.post(f"{prefix}/gradio_api/run/predict",
                       json={"data": data, "fn_index": fn_index, "session_hash": "s", **body})


ASKED = [{"role": "user", "content": [{"type": "text", "text": "Is PMO an admin job?"}]}]  # as the page sends it


def test_the_chat_page_events_share_the_api_rate_limit(default_bot, tmp_path):
    # The page's answer and vote events count like /api/ask; its steps that only show the
    # question and make the box usable again do not (after a 429 the box must come back).
    client, _ = client_for(default_bot, tmp_path, rate_limit_per_minute=3)
    assert client.post("/api/ask", json={"question": "Is PMO an admin job?"}).status_code == 200
    answered = page_event(client, "", "respond", [ASKED])
    answer_words = " ".join(default_bot.ask("Is PMO an admin job?").answer.split()[:6])
    assert answered.status_code == 200 and answer_words in answered.text
    for _ in range(3):
        assert page_event(client, "", "take_question", ["Is PMO an admin job?", []]).status_code == 200
        assert page_event(client, "/embed", "enable_box", []).status_code == 200
    assert page_event(client, "/embed", "respond", [ASKED]).status_code == 200
    for prefix in ("", "/embed"):
        for name, data in (("respond", [ASKED]), ("on_vote", [ASKED])):
            refused = page_event(client, prefix, name, data)
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1, (prefix, name)
        assert page_event(client, prefix, "take_question", ["Is PMO an admin job?", []]).status_code == 200
        joined = client.post(f"{prefix}/gradio_api/queue/join",
                             json={"data": ["Is PMO an admin job?", []], "fn_index": 7, "session_hash": "s"})
        assert joined.status_code == 429


def test_other_sites_cannot_use_the_chat_queue_either(app_client):
    client, _ = app_client
    foreign = client.post("/gradio_api/queue/join", json={"data": [], "fn_index": 0, "session_hash": "s"},
                          headers={"origin": "https://evil.example.com"})
    assert foreign.status_code == 403 and "evil.example.com" in foreign.json()["error"]
    own = client.post("/api/ask", json={"question": "Is PMO an admin job?"}, headers={"origin": "http://127.0.0.1:7860"})
    assert own.status_code == 200


def test_the_rate_limiter_forgets_idle_clients_and_stays_bounded():
    from bot.web.security import RateLimiter

    now = [0.0]
    limiter = RateLimiter(limit=5, window=60.0, max_clients=1000, clock=lambda: now[0])
    for n in range(999):
        assert limiter.retry_after(f"10.0.{n // 250}.{n % 250}") == 0.0
    assert len(limiter) == 999
    for n in range(5000):  # a flood of new addresses never holds more than max_clients
        limiter.retry_after(f"10.1.{n // 250}.{n % 250}")
    assert len(limiter) <= 1000
    now[0] += 61  # a window later, idle clients are gone at the next request
    limiter.retry_after("192.0.2.1")
    assert len(limiter) == 1
    for _ in range(5):
        limiter.retry_after("192.0.2.1")
    assert limiter.retry_after("192.0.2.1") > 0  # the limit itself still holds


# --- one error shape for the whole API ---------------------------------------------------------------

def test_api_errors_have_one_shape_and_the_right_status(app_client):
    client, _ = app_client
    wrong_method = client.get("/api/ask")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    assert wrong_method.json() == {"error": "GET is not allowed here; use POST."}
    assert client.delete("/api/health").status_code == 405
    unknown = client.post("/api/nothing", json={})
    assert unknown.status_code == 404 and unknown.json() == {"error": "No API endpoint /api/nothing; see /docs."}
    for body in ({}, {"question": 5}, {"question": "x", "top_k": 99}, {"question": "x", "colour": "red"}):
        invalid = client.post("/api/ask", json=body)
        assert invalid.status_code == 400 and set(invalid.json()) == {"error"}, body
        assert invalid.json()["error"].startswith("Invalid request: ")
    not_json = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert not_json.status_code == 400 and set(not_json.json()) == {"error"}
    schema = client.get("/openapi.json").json()
    assert "ErrorResponse" in schema["components"]["schemas"]
    assert "400" in schema["paths"]["/api/ask"]["post"]["responses"]


def test_the_chat_cannot_be_run_around_the_rate_limit(default_bot, tmp_path):
    # Over the limit, no event of either page, named however a client likes, answers: each is
    # refused (429) or is a step that only shows the question.
    client, _ = client_for(default_bot, tmp_path, rate_limit_per_minute=1)
    answer_words = " ".join(default_bot.ask("Is PMO an admin job?").answer.split()[:6])
    assert client.post("/api/ask", json={"question": "Is PMO an admin job?"}).status_code == 200
    for prefix in ("", "/embed"):
        events = len(client.get(f"{prefix}/config").json()["dependencies"])
        assert events > 3
        names = [*range(events), *(str(n) for n in range(events)), *(float(n) for n in range(events)), True, None]
        for fn_index in names:
            for data in (["Is PMO an admin job?", []], [ASKED], ["Is PMO an admin job?", ASKED]):
                response = client.post(f"{prefix}/gradio_api/run/predict",
                                       json={"data": data, "fn_index": fn_index, "session_hash": "s"})
                # Errors may echo the question; the answer's own words must never come back.
                assert answer_words not in response.text, (prefix, fn_index, response.text[:300])
        body = json.dumps({"data": [ASKED], "fn_index": 1, "session_hash": "s"}).encode()
        chunked = client.post(f"{prefix}/gradio_api/run/predict", content=iter([body]),
                              headers={"content-type": "application/json"})
        assert chunked.status_code == 429
