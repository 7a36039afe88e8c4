"""The chat page and the widget behind a load balancer without sticky sessions: two real `faqbot
serve` replicas (one PostgreSQL, one Redis) behind nginx sending each request to the next replica
in turn, and headless Chromium holding a two-turn conversation through it. The follow-up is
answered, read in context, by the replica that did not answer the first question (nginx's log of
which replica served each request says so), votes land in the shared database and every answer
and vote counts against the visitor's shared rate limit."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from bot.web.demo_site import demo_page
from tests.storage.test_replicas import Replica
from tests.support.browser import HostSite, NetworkGuard, ask
from tests.support.servers import Nginx
from tests.web.conftest import browser  # noqa: F401 (the module's headless Chromium)
from tests.web.test_chat_ui import assert_cites, last_reply, wait_until_done

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PAGE_EVENT = "/gradio_api/run/predict"
VISITOR = "127.0.0.1"  # the browser's address, as nginx passes it on (X-Forwarded-For)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres, redis_server):
    """Two replicas on the default FAQ, and nginx in round-robin over them (no hash, no sticky)."""
    tmp = tmp_path_factory.mktemp("chat-replicas")
    env = {**os.environ, "FAQBOT_DATABASE_URL": postgres.url, "FAQBOT_REDIS_URL": redis_server.url,
           "FAQBOT_TRUSTED_PROXIES": "127.0.0.1", "FAQBOT_RATE_LIMIT_PER_MINUTE": "60",
           "FAQBOT_RELOAD_INTERVAL": "0", "FAQBOT_NETGUARD_LOG": str(tmp / "net.log")}
    env.pop("FAQBOT_CONFIG", None)
    args = ["--index", str(tmp / "index")]
    # The first builds the index; the second then finds it built.
    replicas = [Replica(name, tmp, {**env, "FAQBOT_DATA_DIR": str(tmp / f"data-{name}")}, args) for name in "ab"]
    nginx = Nginx([r.port for r in replicas], log_upstreams=True)
    with urllib.request.urlopen(nginx.url + "/config", timeout=10) as response:
        events = json.loads(response.read())["dependencies"]
    yield SimpleNamespace(replicas=replicas, nginx=nginx, pg=postgres, redis=redis_server, tmp=tmp,
                          answering={e["id"] for e in events if e["api_name"].startswith("respond")})
    nginx.close()
    for replica in replicas:
        replica.stop()
    netlog = tmp / "net.log"
    assert not netlog.exists() or netlog.read_text() == "", netlog.read_text()


@pytest.fixture
def context(browser):  # noqa: F811 (the fixture imported above)
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(20_000)
    guard = NetworkGuard(context)
    errors: list[str] = []
    context.on("page", lambda page: page.on("pageerror", lambda error: errors.append(str(error))))
    yield context
    context.close()
    assert guard.foreign() == [], f"requests left this machine: {guard.foreign()}"
    assert errors == [], f"uncaught JavaScript errors: {errors}"


def page_events(served) -> list:
    return [s for s in served if s.request.startswith("POST ") and PAGE_EVENT in s.request]


def answers(cluster, served) -> list:
    """The page events that produced an answer (not showing the question or a vote)."""
    return [s for s in page_events(served) if json.loads(s.body).get("fn_index") in cluster.answering]


def next_answer_away_from(cluster, port: int) -> None:
    """Turn nginx's round-robin so that the next question's answer goes to the other replica than
    ``port``: a question is three requests in a row (show it, answer it, free the box), so its
    answer goes to the replica that served the request just before it. Requests are sent until
    that was the other replica (the page itself is idle: no heartbeat, no event stream)."""
    for _ in range(3):
        logged = len(cluster.nginx.served())
        with urllib.request.urlopen(cluster.nginx.url + "/api/health", timeout=10):
            pass
        deadline = time.monotonic() + 5
        while len(served := cluster.nginx.served()) == logged:  # nginx logs just after replying
            assert time.monotonic() < deadline, "nginx did not log the request"
            time.sleep(0.05)
        assert served[-1].request.startswith("GET /api/health"), served[logged:]
        if served[-1].port != port:
            return
    raise AssertionError("nginx does not alternate between the replicas")


def counted_for_visitor(cluster) -> int:
    import redis

    with redis.Redis.from_url(cluster.redis.url) as client:
        return client.zcard(f"faqbot:rate:{VISITOR}")


def forget_visitor(cluster) -> None:
    import redis

    with redis.Redis.from_url(cluster.redis.url) as client:
        client.delete(f"faqbot:rate:{VISITOR}")


def converse(cluster, scope, first: str, follow_up: str, first_entry: str, follow_up_entry: str) -> list:
    """Ask ``first`` then ``follow_up`` in a chat (a page or the widget's frame), the follow-up's
    answer steered to the replica that did not answer the first; returns the two answering
    events as nginx logged them."""
    start = len(cluster.nginx.served())
    ask(scope, first)
    wait_until_done(scope, 1)
    assert_cites(last_reply(scope), first_entry)
    [answered_first] = answers(cluster, cluster.nginx.served()[start:])
    next_answer_away_from(cluster, answered_first.port)
    ask(scope, follow_up)
    wait_until_done(scope, 2)
    reply = last_reply(scope)
    assert_cites(reply, follow_up_entry)
    # Read with the first question: the conversation came with the request, not from a replica.
    expect(reply.locator(".faqbot-context")).to_contain_text("About: ")
    first_answer, second_answer = answers(cluster, cluster.nginx.served()[start:])
    assert first_answer.port != second_answer.port, "the follow-up was answered by the same replica"
    return [first_answer, second_answer]


def assert_both_replicas_served(cluster, served) -> None:
    ports = {r.port for r in cluster.replicas}
    events = page_events(served)
    assert events and all(s.status == 200 for s in events), [(s.port, s.status) for s in events]
    assert {s.port for s in events} == ports, "page events did not reach both replicas"
    loads = [s for s in served if s.request.startswith("GET ")]
    assert {s.port for s in loads} == ports, "the page's own files did not come from both replicas"
    assert not [s for s in served if "/queue/" in s.request or "/heartbeat/" in s.request]


def test_the_chat_page_holds_a_conversation_across_replicas_taking_turns(cluster, context):
    page = context.new_page()
    start = len(cluster.nginx.served())
    forget_visitor(cluster)
    page.goto(cluster.nginx.url + "/")
    expect(page.locator("#faqbot-input textarea")).to_be_editable()
    converse(cluster, page, "What does a programme manager do?", "what skills do I need for it?",
             "pgm-responsibilities", "pgm-skills")

    page.locator("#faqbot-chat button[aria-label=Like]").last.click()
    expect(page.locator("#faqbot-chat button[aria-label=Liked]")).to_have_count(1)
    deadline = time.monotonic() + 10
    while not (votes := cluster.pg.query("SELECT vote, channel, cited_ids FROM faqbot_feedback "
                                         "WHERE kind = 'vote' AND question = %s", "what skills do I need for it?")):
        assert time.monotonic() < deadline, "the vote did not reach the database"
        time.sleep(0.2)
    assert [(vote, channel) for vote, channel, _ in votes] == [("up", "web")] and "pgm-skills" in str(votes[0][2])

    assert_both_replicas_served(cluster, cluster.nginx.served()[start:])
    # Two answers and a vote: counted once each, in Redis, whichever replica took them.
    assert counted_for_visitor(cluster) == 3


def test_the_widget_holds_a_conversation_across_replicas_taking_turns(cluster, context):
    host = HostSite({"/": demo_page(cluster.nginx.url)})  # another origin: a site with the widget pasted in
    try:
        page = context.new_page()
        page.goto(host.url + "/")
        start = len(cluster.nginx.served())
        forget_visitor(cluster)
        page.locator("#faqbot-widget .button").click()
        chat = page.frame_locator("#faqbot-widget iframe")
        expect(chat.locator("#faqbot-input textarea")).to_be_editable()
        converse(cluster, chat, "Who is the APM PPQ for?", "how is it assessed?", "apm-ppq", "apm-ppq")
        served = cluster.nginx.served()[start:]
        assert all("/embed/" in s.request or "/widget.js" in s.request or not s.request.startswith("POST")
                   for s in served), "the widget's events go to its own page (/embed/)"
        assert_both_replicas_served(cluster, served)
        assert counted_for_visitor(cluster) == 2
    finally:
        host.close()
