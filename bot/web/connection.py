"""Limits on connections, below HTTP requests: a client must send a whole request head within
``header_timeout`` seconds of connecting (or of its previous response), so idle or trickling
connections (slowloris) are closed instead of held forever. uvicorn closes idle keep-alive
connections itself, but waits indefinitely for the first request on a new one."""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def with_header_timeout(seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, closing connections whose request head takes over ``seconds``."""

    class HeaderTimeoutProtocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._head_deadline = self.loop.call_later(seconds, self._head_too_slow)

        def handle_events(self) -> None:
            super().handle_events()
            # The request head is in once h11 waits for (or has) its body: the deadline is met.
            if self.conn.their_state in (h11.SEND_BODY, h11.DONE) and self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # The next request on a kept-alive connection gets the same time for its head.
            if self._head_deadline is None and not self.transport.is_closing():
                self._head_deadline = self.loop.call_later(seconds, self._head_too_slow)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None
            super().connection_lost(exc)

        def _head_too_slow(self) -> None:
            self._head_deadline = None
            if not self.transport.is_closing() and self.conn.their_state not in (h11.SEND_BODY, h11.DONE):
                self.transport.close()

    return HeaderTimeoutProtocol
