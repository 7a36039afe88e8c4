"""HTTP hardening for the web server: who may frame the chat or call the API, how big a request
may be, how often one client may ask, and a content security policy that keeps every asset on
this server.

Written as plain ASGI middleware so it also covers the mounted Gradio app and its streaming
responses without buffering them.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque

# Sites that may frame the chat and call the API when the owner has not listed any: this
# machine only (any port), which is what a local demo or a reverse proxy on the same host needs.
LOCAL_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")

# Paths whose POSTs count against a client's rate limit: asking, voting, and Gradio's queue
# (every chat message or click in the UI is one join).
RATE_LIMITED_PREFIXES = ("/api/ask", "/api/feedback", "/gradio_api/queue/join", "/embed/gradio_api/queue/join")
# The JSON API takes small bodies; Gradio's queue requests carry the chat history, so larger.
API_PREFIX = "/api/"
UI_MAX_REQUEST_BYTES = 1_000_000


def frame_ancestors(allowed_origins: list[str]) -> str:
    sources = ["'self'", *(allowed_origins if allowed_origins else LOCAL_ORIGINS)]
    return "*" if "*" in sources else " ".join(sources)


def content_security_policy(allowed_origins: list[str]) -> str:
    # Gradio's front end needs inline styles and an inline bootstrap script; everything else,
    # including fonts, comes from this server only. No CDN, no web fonts, no analytics.
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors(allowed_origins)}",
    ])


def cors_origin_regex(allowed_origins: list[str]) -> str:
    """The origins allowed to call the API from a browser, as one regular expression."""
    import re

    origins = allowed_origins or list(LOCAL_ORIGINS)
    if "*" in origins:
        return ".*"
    parts = [re.escape(o).replace(r"\*", r"[0-9]+") if o.endswith(":*") else re.escape(o.rstrip("/")) for o in origins]
    return "^(" + "|".join(parts) + ")$"


class RateLimiter:
    """At most ``limit`` requests per client in any 60-second window (a sliding log per client)."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """0 if the request may go ahead (and count it), else seconds until it may."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return self.window - (now - hits[0])
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                for key in [k for k, v in self._hits.items() if not v]:
                    del self._hits[key]
            return 0.0


class SecurityMiddleware:
    def __init__(self, app, allowed_origins: list[str], rate_limit_per_minute: int, max_request_bytes: int):
        self.app = app
        self.limiter = RateLimiter(rate_limit_per_minute) if rate_limit_per_minute > 0 else None
        self.max_request_bytes = max_request_bytes
        self.headers = [
            (b"content-security-policy", content_security_policy(allowed_origins).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        limit = self.max_request_bytes if path.startswith(API_PREFIX) else UI_MAX_REQUEST_BYTES
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await _json_error(send, 413, f"Request too large: at most {limit} bytes.")
        if self.limiter and scope["method"] == "POST" and path.startswith(RATE_LIMITED_PREFIXES):
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.limiter.retry_after(client)
            if wait:
                return await _json_error(send, 429, "Too many questions at once; please wait a moment.",
                                         [(b"retry-after", str(max(1, round(wait))).encode())])

        if length is None and scope["method"] in ("POST", "PUT", "PATCH"):
            # No Content-Length (a chunked body): read it here, up to the limit, then replay it.
            body, more = b"", True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > limit:
                    return await _json_error(send, 413, f"Request too large: at most {limit} bytes.")
            receive = _replay(body)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _replay(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _json_error(send, status: int, message: str, extra_headers=()) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *extra_headers]})
    await send({"type": "http.response.body", "body": body})
