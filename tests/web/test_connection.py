"""Connection-level limits of a real `faqbot serve`: idle or trickling sockets are closed, a
forged X-Forwarded-For does not dodge the rate limit unless it comes from a trusted proxy."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.support import ROOT, faqbot_command, free_port, wait_for_http

pytestmark = pytest.mark.slow


def start(tmp, corpus, **settings):
    port = free_port()
    env = {**os.environ, "FAQBOT_DATA_DIR": str(tmp / "data"), "FAQBOT_NETGUARD_LOG": str(tmp / "net.log"),
           "FAQBOT_RELOAD_INTERVAL": "0", **{f"FAQBOT_{k.upper()}": str(v) for k, v in settings.items()}}
    env.pop("FAQBOT_CONFIG", None)
    process = subprocess.Popen(faqbot_command("serve", "--port", str(port), "--corpus", str(corpus), "--index",
                                              str(tmp / "index")), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    wait_for_http(f"http://127.0.0.1:{port}/api/health", process)
    return process, port


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "shop.jsonl"
    path.write_text(json.dumps({"id": "hours", "question": "When do you open?", "answer": "At nine."}) + "\n")
    return path


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory, corpus):
    tmp = tmp_path_factory.mktemp("strict")
    process, port = start(tmp, corpus, rate_limit_per_minute=3, header_timeout=1, max_connections=40)
    yield port
    process.terminate()
    process.wait(timeout=30)


def ask(port, forwarded_for=None):
    headers = {"content-type": "application/json"}
    if forwarded_for:
        headers["x-forwarded-for"] = forwarded_for
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/ask", method="POST", headers=headers,
                                     data=json.dumps({"question": "When do you open?"}).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_idle_and_trickling_connections_are_closed(strict_server):
    idle = [socket.create_connection(("127.0.0.1", strict_server)) for _ in range(30)]
    trickle = socket.create_connection(("127.0.0.1", strict_server))
    started = time.monotonic()
    request = b"GET /api/health HTTP/1.1\r\nHost: x\r\n"
    for byte in request[:12]:  # a slow client: one byte every 0.2 s never finishes its head in 1 s
        try:
            trickle.send(bytes([byte]))
        except OSError:
            break
        time.sleep(0.2)
    for sock in [*idle, trickle]:
        sock.settimeout(5)
        assert sock.recv(1024) == b"", "the server should have closed this socket"
        sock.close()
    assert time.monotonic() - started < 8
    # The server still serves everyone else.
    with urllib.request.urlopen(f"http://127.0.0.1:{strict_server}/api/health", timeout=10) as response:
        assert response.status == 200


def test_a_forged_forwarded_for_does_not_reset_the_rate_limit(strict_server):
    codes = [ask(strict_server, forwarded_for=f"203.0.113.{n}") for n in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(tmp_path, corpus):
    process, port = start(tmp_path, corpus, rate_limit_per_minute=2, trusted_proxies="127.0.0.1")
    try:
        assert [ask(port, "198.51.100.1") for _ in range(3)] == [200, 200, 429]
        assert [ask(port, "198.51.100.2") for _ in range(2)] == [200, 200]  # another visitor behind the proxy
    finally:
        process.terminate()
        process.wait(timeout=30)
