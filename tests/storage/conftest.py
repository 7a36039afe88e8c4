"""Real PostgreSQL and Redis servers, one of each per test session (tests/support/servers.py)."""

from __future__ import annotations

import pytest

from tests.support.servers import PostgresCluster, RedisServer


@pytest.fixture(scope="session")
def postgres():
    cluster = PostgresCluster()
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    server.close()
