"""`faqbot serve` for real: a child process on 127.0.0.1 answering over HTTP, with every
non-local network connection refused and recorded (tests/netguard.py)."""

from __future__ import annotations

import json
import os
import sys
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT, faqbot_command, free_port, wait_for_http

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
    assert set(data) == {"question", "answered", "answer", "confidence", "citations", "suggestions"}
    assert data["answered"] and data["citations"][0]["id"] == "hours"


@pytest.mark.parametrize("body,status", [
    ({"question": ""}, 400), ({"question": "   "}, 400), ({"question": "x" * 2000}, 400),
    ({}, 422), ({"question": 42}, 422), ({"question": "hi", "top_k": 0}, 422), ({"question": "hi", "top_k": "3"}, 422),
    (b"not json", 422),
])
def test_api_ask_rejects_bad_input_with_a_json_error(server, body, status):
    base, _ = server
    got, data = post(base + "/api/ask", body)
    assert got == status and isinstance(data, dict) and ("error" in data or "detail" in data)


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
    assert "nine" in answer["content"] and "[[1]](/source/hours)" in answer["content"]
    assert sources["metadata"]["title"] == "Sources (1)" and "(/source/hours)" in sources["content"]
    # Markup from the corpus arrives escaped, to be shown as text.
    assert "<script>" not in reply and "&lt;script&gt;" in reply and "&lt;b&gt;" in reply


def test_server_made_no_request_off_this_machine(server):
    base, netlog = server
    post(base + "/api/ask", {"question": "do you deliver to France?"})
    assert not netlog.exists() or netlog.read_text() == ""


def test_the_network_guard_itself_catches_an_outside_request(tmp_path):
    # Proves the check above can fail: the same guard records a connection attempt to the internet.
    netlog = tmp_path / "network.log"
    code = "import tests.netguard, socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError:\n    pass\n"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                   env={**os.environ, "FAQBOT_NETGUARD_LOG": str(netlog)})
    assert "192.0.2.1" in netlog.read_text()
