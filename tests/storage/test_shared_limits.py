"""Rate limits shared through a real redis-server: two apps (two replicas) count one client
together; with Redis gone, both keep answering on per-process limits and say so."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from bot.engine import FAQBot
from bot.web.server import build_app


def replica(default_bot, redis_url: str, limit: int) -> TestClient:
    settings = default_bot.settings.replace(rate_limit_per_minute=limit, redis_url=redis_url)
    return TestClient(build_app(FAQBot(settings, default_bot.encoder, default_bot.index)),
                      base_url="http://127.0.0.1:7860", client=("203.0.113.7", 5000))


@pytest.fixture()
def redis_url(redis_server):
    import redis

    redis.Redis.from_url(redis_server.url).flushall()
    return redis_server.url


def test_one_client_over_the_limit_gets_429_from_either_replica(default_bot, redis_url):
    first, second = replica(default_bot, redis_url, 4), replica(default_bot, redis_url, 4)
    ask = {"question": "Is PMO an admin job?"}
    statuses = [(first if n % 2 else second).post("/api/ask", json=ask).status_code for n in range(4)]
    assert statuses == [200] * 4  # 2 on each replica: each alone would allow 4 more
    for client in (first, second):
        refused = client.post("/api/ask", json=ask)
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    # Another client is counted apart.
    other = TestClient(first.app, base_url="http://127.0.0.1:7860", client=("198.51.100.1", 5000))
    assert other.post("/api/ask", json=ask).status_code == 200


def test_with_redis_down_replicas_keep_answering_on_per_process_limits(default_bot, redis_server, caplog):
    client = replica(default_bot, redis_server.url, 3)
    redis_server.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="faqbot"):
            statuses = [client.post("/api/ask", json={"question": "Is PMO an admin job?"}).status_code
                        for _ in range(4)]
        assert statuses == [200, 200, 200, 429]  # the limit still holds, counted by this process
        warnings = [r.getMessage() for r in caplog.records if "Redis" in r.getMessage()]
        assert len(warnings) == 1 and "unreachable" in warnings[0] and "per process" in warnings[0]
    finally:
        redis_server.start()
