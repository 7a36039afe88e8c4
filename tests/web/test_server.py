"""`faqbot serve` for real: a child process on 127.0.0.1 answering over HTTP, with every
non-local network connection refused and recorded (tests/support/netguard.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import ROOT, faqbot_command, free_port, wait_for_http

pytestmark = pytest.mark.slow

CORPUS = """# Shop

## What are your opening hours?
id: hours
url: https://example.org/hours

We open at nine <b>sharp</b> and close at six. <script>alert('x')</script>

## Do you deliver abroad?
id: delivery
url: https://example.org/delivery

Yes, we ship to most countries in Europe.
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    (tmp / "shop.md").write_text(CORPUS)
    port = free_port()
    netlog = tmp / "network.log"
    env = {**os.environ, "FAQBOT_NETGUARD_LOG": str(netlog)}
    process = subprocess.Popen(
        faqbot_command("serve", "--port", str(port), "--corpus", str(tmp / "shop.md"), "--index", str(tmp / "index")),
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/api/health", process)
        yield base, netlog
    finally:
        process.terminate()
        process.wait(timeout=30)


def post(url, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_api_ask_answers_with_the_json_contract(server):
    base, _ = server
    status, data = post(base + "/api/ask", {"question": "when do you open?"})
    assert status == 200
    assert set(data) == {"question", "answered", "answer", "confidence", "citations", "suggestions", "highlights",
                         "interpreted_as", "context"}
    assert data["answered"] and data["citations"][0]["id"] == "hours"


@pytest.mark.parametrize("body,status", [
    ({"question": ""}, 400), ({"question": "   "}, 400), ({"question": "x" * 2000}, 400),
    ({}, 400), ({"question": 42}, 400), ({"question": "hi", "top_k": 0}, 400), ({"question": "hi", "top_k": "3"}, 400),
    (b"not json", 400),
])
def test_api_ask_rejects_bad_input_with_a_json_error(server, body, status):
    base, _ = server
    got, data = post(base + "/api/ask", body)
    assert got == status and isinstance(data, dict) and set(data) == {"error"}


def test_health_reports_the_index(server):
    base, _ = server
    with urllib.request.urlopen(base + "/api/health") as response:
        data = json.loads(response.read())
    assert data["status"] == "ok" and data["entries"] == 2


def test_chat_page_and_gradio_chat_api(server):
    from gradio_client import Client

    base, _ = server
    with urllib.request.urlopen(base + "/") as response:
        assert response.status == 200 and "<html" in response.read().decode().lower()
    messages = Client(base + "/", verbose=False).predict("When are you open?", api_name="/chat")
    answer, sources = messages
    reply = answer["content"] + sources["content"]
    assert "nine" in answer["content"] and 'href="/source/hours"' in answer["content"]
    assert "<summary>Sources (1)</summary>" in sources["content"] and 'href="/source/hours"' in sources["content"]
    # Markup from the corpus arrives escaped, to be shown as text.
    assert "<script>" not in reply and "&lt;script&gt;" in reply and "&lt;b&gt;" in reply


def test_server_made_no_request_off_this_machine(server):
    base, netlog = server
    post(base + "/api/ask", {"question": "do you deliver to France?"})
    assert not netlog.exists() or netlog.read_text() == ""


def test_the_network_guard_itself_catches_an_outside_request(tmp_path):
    # Proves the check above can fail: the same guard records a connection attempt to the internet.
    netlog = tmp_path / "network.log"
    code = "import tests.support.netguard, socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError:\n    pass\n"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                   env={**os.environ, "FAQBOT_NETGUARD_LOG": str(netlog)})
    assert "192.0.2.1" in netlog.read_text()


# --- under load: many clients, votes, a rebuild and new settings while serving ---------------------------

CONTRACT = {"question", "answered", "answer", "confidence", "citations", "suggestions", "highlights", "interpreted_as",
            "context"}


def post_json(url, body, timeout=30):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A real server on a corpus the test can change, with the rate limit off for load."""
    tmp = tmp_path_factory.mktemp("live")
    corpus = tmp / "shop.jsonl"
    corpus.write_text(json.dumps({"id": "hours", "question": "What are your opening hours?",
                                  "answer": "We open at nine and close at six."}) + "\n")
    port = free_port()
    config = tmp / "faqbot.toml"
    config.write_text("answer_threshold = 0.6\n")
    env = {**os.environ, "FAQBOT_RATE_LIMIT_PER_MINUTE": "0", "FAQBOT_RELOAD_INTERVAL": "0.5",
           "FAQBOT_DATA_DIR": str(tmp / "data"), "FAQBOT_NETGUARD_LOG": str(tmp / "net.log"),
           "FAQBOT_CONFIG": str(config)}
    args = ("--corpus", str(corpus), "--index", str(tmp / "index"))
    process = subprocess.Popen(faqbot_command("serve", "--port", str(port), *args), cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/api/health", process)
        yield base, corpus, args, tmp
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_32_concurrent_clients_get_answers_and_every_vote_is_stored(live):
    base, _, _, tmp = live

    def client(n):
        outcomes = []
        for i in range(6):
            # Distinct questions, so the answer cache does not do the work.
            status, body = post_json(base + "/api/ask", {"question": f"client {n} asks, time {i}: when do you open?"})
            outcomes.append(status == 200 and set(body) == CONTRACT)
            status, _ = post_json(base + "/api/feedback", {"question": f"q{n}.{i}", "answer": "a",
                                                           "cited_ids": ["hours"], "vote": "up"})
            outcomes.append(status == 200)
        return outcomes

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = [ok for outcome in pool.map(client, range(32)) for ok in outcome]
    assert len(results) == 384 and all(results)
    from bot.web.feedback import FeedbackStore

    assert len([r for r in FeedbackStore(tmp / "data").rows() if r["kind"] == "vote"]) == 192


def test_rebuilt_index_is_swapped_in_while_requests_keep_succeeding(live):
    base, corpus, args, tmp = live
    stop = threading.Event()
    failures, answered = [], [0]

    def hammer():
        while not stop.is_set():
            try:
                status, body = post_json(base + "/api/ask", {"question": "when do you open?"})
                if status != 200 or body["citations"][0]["id"] != "hours":
                    failures.append((status, body))
                answered[0] += 1
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                failures.append(repr(exc))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    with corpus.open("a") as handle:
        handle.write(json.dumps({"id": "gift", "question": "Do you sell gift cards?",
                                 "answer": "Yes, gift cards are sold in every shop."}) + "\n")
    subprocess.run(faqbot_command("index", *args), cwd=ROOT, check=True, capture_output=True)
    with urllib.request.urlopen(base + "/api/health") as response:
        before = json.loads(response.read())["entries"]
    deadline = threading.Event()
    for _ in range(40):  # the server looks for a new build every 0.5 s
        _, body = post_json(base + "/api/ask", {"question": "can I buy a gift card?"})
        if body["answered"] and body["citations"][0]["id"] == "gift":
            break
        deadline.wait(0.25)
    stop.set()
    for thread in threads:
        thread.join()
    assert body["citations"][0]["id"] == "gift", body
    with urllib.request.urlopen(base + "/api/health") as response:
        assert json.loads(response.read())["entries"] == 2
    assert before in (1, 2)
    assert failures == [] and answered[0] > 20
    status, reload = post_json(base + "/api/reload", {})
    assert status == 200 and reload["reloaded"] is False  # already serving the newest build




def test_changed_settings_reach_a_running_server_on_reload(live):
    base, _, _, tmp = live
    config = tmp / "faqbot.toml"
    status, reload = post_json(base + "/api/reload", {})
    assert status == 200 and reload["answer_threshold"] == 0.6
    # What `faqbot calibrate` does: a new threshold in the config file, same corpus, same build.
    config.write_text("answer_threshold = 0.99\n")
    status, reload = post_json(base + "/api/reload", {})
    assert status == 200 and reload == {**reload, "reloaded": True, "answer_threshold": 0.99}
    assert reload["decision"] == {"kind": "threshold", "threshold": 0.99}
    status, body = post_json(base + "/api/ask", {"question": "What are your opening hours?"})
    assert body["answered"] is False  # nothing scores 0.99
    # A broken settings file is refused, and the server keeps serving the last good settings.
    config.write_text("answer_threshold = 'high'\n")
    request = urllib.request.Request(base + "/api/reload", data=b"{}", method="POST",
                                     headers={"content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 409 and "answer_threshold" in json.loads(refused.value.read())["error"]
    config.write_text("answer_threshold = 0.6\n")
    status, reload = post_json(base + "/api/reload", {})
    assert reload["answer_threshold"] == 0.6
    status, body = post_json(base + "/api/ask", {"question": "What are your opening hours?"})
    assert body["answered"] is True


# --- serve --watch: the owner saves an edit and the running bot answers from it ----------------------

def test_watch_answers_from_a_saved_edit_and_reports_a_broken_one(tmp_path):
    corpus = tmp_path / "shop.jsonl"
    row = {"id": "hours", "question": "What are your opening hours?", "answer": "We open at nine and close at six."}
    corpus.write_text(json.dumps(row) + "\n")
    port = free_port()
    env = {**os.environ, "FAQBOT_RATE_LIMIT_PER_MINUTE": "0", "FAQBOT_RELOAD_INTERVAL": "0.5",
           "FAQBOT_DATA_DIR": str(tmp_path / "data"), "FAQBOT_NETGUARD_LOG": str(tmp_path / "net.log")}
    env.pop("FAQBOT_CONFIG", None)
    process = subprocess.Popen(faqbot_command("serve", "--watch", "--port", str(port), "--corpus", str(corpus),
                                              "--index", str(tmp_path / "index")),
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    failures, stop = [], threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                status, _ = post_json(base + "/api/ask", {"question": "When do you open?"})
                if status != 200:
                    failures.append(status)
            except Exception as exc:  # noqa: BLE001 - any failed request counts
                failures.append(repr(exc))

    def answer():
        return post_json(base + "/api/ask", {"question": "When do you open?"})[1]["answer"]

    def health():
        with urllib.request.urlopen(base + "/api/health", timeout=10) as response:
            return json.loads(response.read())

    def within(seconds, condition):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return time.monotonic()
            time.sleep(0.1)
        raise AssertionError(f"not within {seconds} s")

    try:
        wait_for_http(base + "/api/health", process)
        assert "nine" in answer()
        threads = [threading.Thread(target=hammer) for _ in range(2)]
        for thread in threads:
            thread.start()
        saved = time.monotonic()
        corpus.write_text(json.dumps({**row, "answer": "We open at half past eight and close at six."}) + "\n")
        answered = within(3, lambda: "half past eight" in answer())
        assert answered - saved <= 3
        corpus.write_text(json.dumps(row)[:-5] + "\n")  # a broken edit: not JSON any more
        within(3, lambda: health()["index_stale"])
        assert health()["index_problem"].startswith("shop.jsonl:1: not valid JSON")
        assert "half past eight" in answer()  # the last good build keeps answering
        corpus.write_text(json.dumps({**row, "answer": "We open at eight."}) + "\n")
        within(3, lambda: "at eight." in answer() and not health()["index_stale"])
        stop.set()
        for thread in threads:
            thread.join()
        assert failures == []
    finally:
        stop.set()
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "The corpus changed: rebuilt the index (1 of 2 views embedded)" in output


def test_api_ask_takes_the_conversation_and_says_how_the_question_was_read(server):
    base, _ = server
    history = [{"question": "Do you deliver abroad?", "answered_with": ["delivery"]}]
    status, body = post(base + "/api/ask", {"question": "and to which countries?", "history": history})
    assert status == 200 and body["answered"] and body["citations"][0]["id"] == "delivery"
    assert body["context"] == "Do you deliver abroad?" and "which countries" in body["interpreted_as"]
    assert isinstance(body["highlights"], list)
    status, body = post(base + "/api/ask", {"question": "When are you open?", "history": ["Do you deliver abroad?"]})
    assert status == 200 and body["citations"][0]["id"] == "hours" and body["context"] is None
    for bad in ("Do you deliver abroad?", [1], [{"question": "x", "ids": []}], ["q"] * 21):
        status, body = post(base + "/api/ask", {"question": "why?", "history": bad})
        assert status == 400 and set(body) == {"error"}, bad
