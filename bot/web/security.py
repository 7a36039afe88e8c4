"""HTTP hardening for the web server: who may frame the chat or call the API, how big a request
may be, how often one client may ask, and a content security policy that keeps every asset on
this server.

Written as plain ASGI middleware so it also covers the mounted Gradio app and its streaming
responses without buffering them.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque

from bot.web.csp import with_policy

# Sites that may frame the chat and call the API when the owner has not listed any: this
# machine only (any port), which is what a local demo or a reverse proxy on the same host needs.
LOCAL_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")

# The chat pages (/ and /embed/) are Gradio apps. Their front end POSTs only run/predict: every
# event of the page (showing the question, answering it, a vote) is one plain request, answered
# by whichever replica receives it (chat_ui.py). queue/join (with cancel and reset) serves
# Gradio's own client (the /chat API of gradio_client), whose queued events cannot run from
# run/predict (the chat is built with api_open=False). Every other Gradio POST is refused: its
# direct-call routes (call/, run/<name>, api/) would run the chat outside the page, and uploads
# (the chat takes no files) would be kept.
GRADIO_API = "/gradio_api/"
GRADIO_PAGE_POSTS = ("queue/join", "run/predict", "cancel", "reset")
# POSTs that count against a client's rate limit: asking, voting, and every Gradio event that
# asks or votes: each queue/join, and each run/predict but the page's steps that do neither
# (showing the question, making the box usable again), which the server names per chat page.
RATE_LIMITED = ("/api/ask", "/api/feedback", "queue/join")
PAGE_EVENT = "run/predict"
# The JSON API takes small bodies; Gradio's queue requests carry the chat history, so larger.
API_PREFIX = "/api/"
UI_MAX_REQUEST_BYTES = 1_000_000


def frame_ancestors(allowed_origins: list[str]) -> str:
    sources = ["'self'", *(allowed_origins if allowed_origins else LOCAL_ORIGINS)]
    return "*" if "*" in sources else " ".join(sources)


def content_security_policy(allowed_origins: list[str], nonce: str | None = None) -> str:
    """The policy for one response. ``nonce`` is the one written into that response's <script>
    tags (csp.py); without one (every response but an HTML page) no inline script may run.

    Scripts: only those carrying the response's nonce, and those they load ('strict-dynamic').
    Measured in Chromium with a report-only `script-src 'nonce-...'` on /, /embed/ and /docs
    (page load, a question answered, a like): every inline script is one of the page's own
    <script> tags, so nonced; nothing is evaluated from strings (no 'unsafe-eval': this app has
    no js= handlers, which Gradio compiles with the AsyncFunction constructor, nor gr.HTML or
    plots); no inline event handlers. The only scripts added at run time are Gradio's own,
    both from this server: static/js/iframeResizer.contentWindow.min.js (added by its inline
    bootstrap) and /embed.js (added from the head= of /embed). 'strict-dynamic' trusts those by
    who added them, so an injected <script src> is refused even when it points at this server.
    'self' only serves browsers without CSP level 3 (which ignore 'strict-dynamic'); the others
    ignore it.

    Styles: Gradio forces 'unsafe-inline'. A probe with `style-src 'self' 'nonce-...'` reported
    the style="" attributes of its page template (<html>, <body>, <gradio-app>), style attributes
    its components set at run time, and <style> elements its code adds without a nonce (theme
    CSS, the app's css=). No nonce in style-src: browsers would then ignore 'unsafe-inline'.
    """
    scripts = f"'nonce-{nonce}' 'strict-dynamic' 'self'" if nonce else "'self'"
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
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
    origins = allowed_origins or list(LOCAL_ORIGINS)
    if "*" in origins:
        return ".*"
    parts = [re.escape(o).replace(r"\*", r"[0-9]+") if o.endswith(":*") else re.escape(o.rstrip("/")) for o in origins]
    return "^(" + "|".join(parts) + ")$"


def gradio_route(path: str) -> tuple[str, str] | None:
    """The chat page's mount ("" or "/embed") and the part of ``path`` after Gradio's API prefix;
    None if not Gradio's API."""
    for mount in ("", "/embed"):
        if path.startswith(mount + GRADIO_API):
            return mount, path[len(mount + GRADIO_API):].rstrip("/")
    return None


def counted_event(body: bytes, uncounted: frozenset[int]) -> bool:
    """Whether a run/predict request counts against the rate limit: all but those naming, as a
    JSON integer, one of the ``uncounted`` events. Gradio reads the same bytes with the same
    parser (json.loads), so a body read here as a free step is that step there too; anything
    unusual (not JSON, a string or float index) counts."""
    try:
        fn_index = json.loads(body).get("fn_index")
    except (ValueError, AttributeError, RecursionError):
        return True
    return not (type(fn_index) is int and fn_index in uncounted)


class RateLimiter:
    """At most ``limit`` requests per client in any ``window`` seconds (a sliding log per client).

    Memory stays bounded: clients idle for a whole window are forgotten (swept at most once a
    window), and beyond ``max_clients`` the least recently seen are dropped.
    """

    def __init__(self, limit: int, window: float = 60.0, max_clients: int = 100_000, clock=time.monotonic):
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._hits: dict[str, deque] = {}  # insertion order = least recently seen first
        self._lock = threading.Lock()
        self._swept = clock()

    def __len__(self) -> int:
        return len(self._hits)

    def retry_after(self, client: str) -> float:
        """0 if the request may go ahead (and count it), else seconds until it may."""
        now = self._clock()
        with self._lock:
            if now - self._swept >= self.window or len(self._hits) >= self.max_clients:
                self._sweep(now)
            hits = self._hits.pop(client, None) or deque()
            self._hits[client] = hits  # re-inserted: most recently seen last
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return self.window - (now - hits[0])
            hits.append(now)
            return 0.0

    async def check(self, client: str) -> float:
        """retry_after, with the interface of the shared limiter (bot/storage/shared_limits.py)."""
        return self.retry_after(client)

    def _sweep(self, now: float) -> None:
        self._swept = now
        for key in [k for k, hits in self._hits.items() if not hits or now - hits[-1] >= self.window]:
            del self._hits[key]
        while len(self._hits) >= self.max_clients:
            del self._hits[next(iter(self._hits))]


class SecurityMiddleware:
    """One gate for every way in (the JSON API and the Gradio pages alike): refuses Gradio routes
    the pages do not use, requests from sites not allowed, oversized bodies and clients over the
    rate limit; adds the security headers to every response."""

    def __init__(self, app, allowed_origins: list[str], rate_limit_per_minute: int, max_request_bytes: int,
                 redis_url: str = "", uncounted_events: dict[str, frozenset[int]] | None = None):
        self.app = app
        self.limiter = None
        if rate_limit_per_minute > 0 and redis_url:
            from bot.storage.shared_limits import SharedRateLimiter  # only with Redis configured

            self.limiter = SharedRateLimiter(redis_url, rate_limit_per_minute)
        elif rate_limit_per_minute > 0:
            self.limiter = RateLimiter(rate_limit_per_minute)
        self.max_request_bytes = max_request_bytes
        # Per chat page (mount), the run/predict events that neither ask nor vote (chat_ui.ui_steps).
        self.uncounted_events = uncounted_events or {}
        self.origin_pattern = re.compile(cors_origin_regex(allowed_origins))
        self.policy = lambda nonce: content_security_policy(allowed_origins, nonce).encode()
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        headers = dict(scope["headers"])
        mount, gradio = gradio_route(path) or (None, None)
        if gradio is not None and method == "POST" and gradio not in GRADIO_PAGE_POSTS:
            return await _json_error(send, 404, "Not found: the chat is asked through the page or POST /api/ask.")
        if method == "POST" and not self._origin_allowed(scope, headers):
            # CORS only stops a browser from reading the reply; a foreign site must not be able to
            # use the bot at all, so requests carrying another site's Origin are refused outright.
            origin = headers[b"origin"].decode("latin-1")
            return await _json_error(send, 403, f"Origin {origin} may not use this bot.")
        limit = self.max_request_bytes if path.startswith(API_PREFIX) else UI_MAX_REQUEST_BYTES
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await _json_error(send, 413, f"Request too large: at most {limit} bytes.")
        # A page event says in its body which event it is: that body is read before counting.
        page_event = self.limiter is not None and method == "POST" and gradio == PAGE_EVENT
        counted = method == "POST" and (path in RATE_LIMITED[:2] or gradio in RATE_LIMITED[2:])
        if counted and await self._over_limit(scope, send):
            return
        if (length is None and method in ("POST", "PUT", "PATCH")) or page_event:
            # No Content-Length (a chunked body), or a page event: read it here, up to the limit, then replay it.
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
            if page_event and counted_event(body, self.uncounted_events.get(mount, frozenset())) \
                    and await self._over_limit(scope, send):
                return

        await self.app(scope, receive, with_policy(send, self.policy, self.headers))

    async def _over_limit(self, scope, send) -> bool:
        """Whether the client is over the rate limit (then refused with 429 here); counts the request."""
        if self.limiter is None:
            return False
        # The peer's address; uvicorn puts the client's there only when the peer is a trusted proxy.
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = await self.limiter.check(client)
        if wait:
            await _json_error(send, 429, "Too many questions at once; please wait a moment.",
                              [(b"retry-after", str(max(1, round(wait))).encode())])
        return bool(wait)

    def _origin_allowed(self, scope, headers: dict) -> bool:
        origin = headers.get(b"origin")
        if origin is None:
            return True  # not a browser request from another site (curl, server to server)
        origin = origin.decode("latin-1")
        own = f"{scope.get('scheme', 'http')}://{headers.get(b'host', b'').decode('latin-1')}"
        return origin == own or bool(self.origin_pattern.match(origin))


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
