"""Per-response script nonces for the content security policy (see security.py).

The chat pages carry inline scripts whose text differs per request (Gradio writes the page's
config and the server's root URL into them), so they cannot be allowed by hash. Instead every
HTML response gets a fresh random nonce: written into each of its <script> tags and into the
policy sent with it. Only a script the server itself put into the page runs.

The nonce is added by rewriting the HTML, which is safe only because nothing a visitor or the
corpus supplies reaches a page as a raw tag: source pages escape every text (pages.py) and
Gradio writes its config as JSON with "<" escaped as \\u003c. Markup smuggled into a page would
be nonced too, so that escaping stays the first defence; the policy is the second.

Only complete text/html bodies are rewritten (the pages are small). Everything else, notably
Gradio's server-sent events on /gradio_api/queue/data, passes through unbuffered.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable

POLICY_HEADER = b"content-security-policy"
# A <script start tag (not <scripts or </script>): where the nonce attribute goes. Put first, so
# that it wins over any nonce attribute the tag might already carry.
SCRIPT_TAG = re.compile(rb"<script(?=[\s>/])", re.IGNORECASE)


def new_nonce() -> str:
    # 144 random bits, base64url: the nonce-source grammar of CSP allows "-" and "_".
    return secrets.token_urlsafe(18)


def add_nonce(html: bytes, nonce: str) -> bytes:
    """``html`` with ``nonce`` on every <script> tag."""
    return SCRIPT_TAG.sub(b'<script nonce="' + nonce.encode("ascii") + b'"', html)


def _header(headers, name: bytes) -> bytes:
    for key, value in headers:
        if key.lower() == name:
            return value.lower()
    return b""


def _rewritable(headers) -> bool:
    # A compressed body cannot be rewritten; it keeps a policy without a nonce (its scripts are
    # blocked: a broken page rather than an open one).
    return _header(headers, b"content-type").startswith(b"text/html") and not _header(headers, b"content-encoding")


Send = Callable[[dict], Awaitable[None]]


def with_policy(send: Send, policy: Callable[[str | None], bytes], extra_headers: list) -> Send:
    """Wrap an ASGI ``send`` for one response: add ``policy(nonce)`` and ``extra_headers`` to it,
    with a fresh nonce written into the body if it is HTML (``policy(None)`` otherwise)."""
    held: dict | None = None  # the start of an HTML response, held until its body is complete
    chunks: list[bytes] = []

    def start(message: dict, headers: list, nonce: str | None) -> dict:
        return {**message, "headers": [*headers, (POLICY_HEADER, policy(nonce)), *extra_headers]}

    async def release_unchanged() -> None:
        nonlocal held
        await send(start(held, held.get("headers", []), None))
        if chunks:
            await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
        held = None

    async def wrapped(message: dict) -> None:
        nonlocal held
        kind = message["type"]
        if kind == "http.response.start":
            if _rewritable(message.get("headers", [])):
                held = message
                return
            await send(start(message, message.get("headers", []), None))
        elif held is not None and kind == "http.response.body":
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = list(held.get("headers", []))
            nonce = new_nonce()
            if body:  # an empty body (HEAD) keeps the length of the page it stands for
                body = add_nonce(body, nonce)
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
            await send(start(held, headers, nonce))
            held = None
            await send({"type": "http.response.body", "body": body})
        else:
            if held is not None:  # an ASGI extension (file sending, trailers): leave the body as it is
                await release_unchanged()
            await send(message)

    return wrapped
