"""Rate limits shared by every replica, in Redis (redis-py's asyncio client).

Chosen by ``redis_url`` (FAQBOT_REDIS_URL=redis://...). The same sliding log as the per-process
limiter (bot/web/security.py), kept in one sorted set per client and updated by one Lua script,
so that the check and the count are atomic across replicas, with Redis's clock (replicas on
several machines need not agree on the time).

Redis is not on the answer path: when it cannot be reached within half a second, the request is
checked by the per-process limiter instead, a warning is logged, and Redis is tried again after
a few seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.web.security import RateLimiter

log = logging.getLogger("faqbot")

# KEYS[1]: the client's log. ARGV: window (ms), limit, a unique member.
# Returns 0 (go ahead, counted) or the milliseconds until the client may ask again.
SLIDING_LOG = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, window - (now - tonumber(oldest[2])))
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""
TIMEOUT = 0.5  # seconds: connecting to Redis or waiting for its reply
RETRY_AFTER_FAILURE = 5.0  # seconds on the per-process limiter before trying Redis again
KEY_PREFIX = "faqbot:rate:"


class SharedRateLimiter:
    """At most ``limit`` requests per client in any ``window`` seconds, counted in Redis."""

    def __init__(self, url: str, limit: int, window: float = 60.0):
        self.url = url
        self.limit = limit
        self.window = window
        self.fallback = RateLimiter(limit, window)
        self._clients: dict[int, aioredis.Redis] = {}  # one per event loop: its connections belong to it
        self._members = itertools.count()
        self._prefix = f"{os.getpid()}-{time.monotonic_ns()}-"  # members unique across replicas
        self._down_until = 0.0
        self._down = False

    def _client(self) -> aioredis.Redis:
        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            client = aioredis.from_url(self.url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT,
                                       retry_on_timeout=False)
            self._clients[loop] = client
        return client

    async def check(self, client: str) -> float:
        """0 if ``client`` may go ahead (and count it), else seconds until it may."""
        if time.monotonic() < self._down_until:
            return self.fallback.retry_after(client)
        try:
            wait_ms = await self._client().eval(SLIDING_LOG, 1, KEY_PREFIX + client, int(self.window * 1000),
                                                self.limit, self._prefix + str(next(self._members)))
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            if not self._down:
                log.warning(f"Redis at {self._where()} is unreachable ({exc}); rate limits are per process "
                            f"until it is back")
            self._down, self._down_until = True, time.monotonic() + RETRY_AFTER_FAILURE
            return self.fallback.retry_after(client)
        if self._down:
            self._down = False
            log.warning(f"Redis at {self._where()} is back; rate limits are shared again")
        return int(wait_ms) / 1000

    def _where(self) -> str:
        # The URL without a password.
        return self.url.split("@")[-1] if "@" in self.url else self.url
