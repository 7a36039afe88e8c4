"""The web server: one FastAPI app serving the chat page (/), the compact chat for iframes
(/embed), the JSON API (/api/...), source pages for citations (/source/{id}), the embeddable
widget (/widget.js) and OpenAPI docs (/docs). Every route is a thin layer over FAQBot.ask."""

from __future__ import annotations

import errno
import logging
import re
import socket
import threading
import time
from importlib import resources
from typing import Callable

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from bot import __version__
from bot.config import ConfigError, Settings
from bot.engine import FAQBot, QuestionError
from bot.errors import UserError
from bot.index import IndexProblem
from bot.watch import CorpusWatch
from bot.web.api_errors import error_responses, install_error_handlers
from bot.web.chat_ui import build_chat, chat_css, ui_steps
from bot.web.connection import with_header_timeout
from bot.web.docs import install_docs
from bot.web.feedback import FeedbackLog, StorageUnavailable, open_feedback_store
from bot.web.pages import not_found_page, source_page
from bot.web.security import SecurityMiddleware, cors_origin_regex

log = logging.getLogger("faqbot")


class EarlierTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    answered_with: list[StrictStr] = Field(default_factory=list, max_length=5)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    top_k: StrictInt | None = Field(default=None, ge=1, le=20)
    # The visitor's earlier questions, oldest first (optionally with the entries that answered
    # them): the question is then read as a possible follow-up (bot/conversation.py).
    history: list[StrictStr | EarlierTurn] | None = Field(default=None, max_length=20)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(min_length=1, max_length=2000)
    answer: StrictStr = Field(default="", max_length=20000)
    cited_ids: list[StrictStr] = Field(default_factory=list, max_length=20)
    vote: str = Field(pattern="^(up|down)$")


# The iframe is small: drop the page margins Gradio adds around the app.
EMBED_CSS = ".gradio-container { padding: 0 !important; } .gradio-container .main.app { padding: 6px 8px !important; }"


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def watch_index(bot: FAQBot, interval: float, stop: threading.Event, corpus: CorpusWatch | None = None) -> None:
    """Swap in a rebuilt index (`faqbot index` run while serving) or changed settings (e.g.
    `faqbot calibrate`) within ``interval`` seconds; with ``corpus``, also rebuild on corpus edits."""
    while not stop.wait(interval):
        if corpus is not None:
            try:
                corpus.check()
            except Exception as exc:  # e.g. the corpus folder removed: keep serving the last build
                log.warning(f"Corpus check skipped: {exc}")
        try:
            if bot.reload():
                log.info(f"Now serving the index built at {bot.index.manifest['built_at']} "
                         f"(answer or decline: {bot.judge.summary()}).")
        except Exception as exc:  # a half-written build, a broken settings file: keep serving the old one
            log.warning(f"Reload skipped: {exc}")


def _static(name: str) -> str:
    return resources.files("bot.web").joinpath("static", name).read_text(encoding="utf-8")


def build_app(bot: FAQBot, feedback: FeedbackLog | None = None) -> FastAPI:
    settings = bot.settings
    title = settings.site_title
    app = FastAPI(title=f"{title} API", version=__version__,
                  description="Grounded answers from a FAQ, with citations. Every answer is the FAQ's own text.",
                  docs_url=None, redoc_url=None)  # /docs is served offline by install_docs below
    origin_pattern = re.compile(cors_origin_regex(settings.allowed_origins))

    @app.post("/api/ask", summary="Answer a question from the FAQ", responses=error_responses(400, 403, 413, 429))
    async def api_ask(request: AskRequest):
        # Async on purpose: ask() is a few ms of CPU, and a sync endpoint's hop to the thread pool
        # and back cost more than it could overlap (measured in benchmarks/load.py). The answer
        # goes out as a JSONResponse, skipping FastAPI's jsonable_encoder walk of the dict.
        try:
            history = None if request.history is None else [
                turn if isinstance(turn, str) else turn.model_dump() for turn in request.history]
            answer = bot.ask(request.question, top_k=request.top_k, history=history)
        except QuestionError as exc:
            return JSONResponse(status_code=400, content={"error": str(exc)})
        if not answer.answered and feedback is not None:
            # Storage does I/O: off the event loop. A store that is down keeps it and says so.
            await run_in_threadpool(_log_unanswered, feedback, answer.question, answer.answer,
                                    [s.id for s in answer.suggestions])
        return JSONResponse(answer.to_json())

    @app.post("/api/feedback", summary="Record a visitor's vote on an answer",
              responses=error_responses(400, 403, 413, 429, 503))
    def api_feedback(request: FeedbackRequest):
        if feedback is None:
            return JSONResponse(status_code=503, content={"error": "Feedback is not being stored."})
        try:
            feedback.record_vote(request.vote, request.question, request.answer, request.cited_ids, channel="api")
        except StorageUnavailable as exc:
            log.warning(f"Vote not stored: {exc}")
            return JSONResponse(status_code=503, headers={"retry-after": "5"},
                                content={"error": "Feedback cannot be stored right now; please try again shortly."})
        return {"status": "stored"}

    @app.get("/api/health", summary="Is the bot up, and which index does it serve")
    def api_health():
        manifest = bot.index.manifest
        status = bot.index_status  # stale: a corpus mistake keeps the last good build in use
        return {"status": "ok", "version": __version__, "entries": manifest["entries"],
                "index_built_at": manifest["built_at"], "model": manifest["model"],
                "answer_threshold": bot.settings.answer_threshold, "decision": bot.judge.to_json(),
                "index_stale": status.stale, "index_problem": status.problem}

    @app.post("/api/reload", summary="Serve the newest build of the index and the current settings now "
                                     "(from this machine only)", responses=error_responses(403, 409))
    def api_reload(request: Request):
        if not _is_loopback(request.client.host if request.client else ""):
            return JSONResponse(status_code=403, content={"error": "Reloading is allowed from this machine only."})
        try:
            switched = bot.reload()
        except (IndexProblem, ConfigError) as exc:
            return JSONResponse(status_code=409, content={"error": str(exc)})
        return {"reloaded": switched, "index_built_at": bot.index.manifest["built_at"],
                "answer_threshold": bot.settings.answer_threshold, "decision": bot.judge.to_json()}

    install_error_handlers(app)

    @app.get("/source/{entry_id}", response_class=HTMLResponse, summary="The FAQ entry a citation points to")
    def source(entry_id: str):
        entry = bot.entry(entry_id)
        if entry is None:
            return HTMLResponse(not_found_page(entry_id, title), status_code=404)
        return HTMLResponse(source_page(entry, title))

    @app.get("/widget.js", include_in_schema=False)
    def widget():
        return Response(_static("widget.js"), media_type="application/javascript",
                        headers={"cache-control": "public, max-age=300"})

    @app.get("/embed.js", include_in_schema=False)
    def embed_script():
        return Response(_static("embed.js"), media_type="application/javascript")

    @app.get("/chat.js", include_in_schema=False)
    def chat_script():
        return Response(_static("chat.js"), media_type="application/javascript")

    app.add_middleware(CORSMiddleware, allow_origin_regex=origin_pattern.pattern, allow_methods=["GET", "POST"],
                       allow_headers=["content-type"], max_age=600)
    # Built in the same order in every process: component and event ids are numbered as they are
    # made, and a page's requests name them, whichever replica answers.
    compact_chat, full_chat = build_chat(bot, feedback, title, compact=True), build_chat(bot, feedback, title)
    app.add_middleware(SecurityMiddleware, allowed_origins=settings.allowed_origins,
                       rate_limit_per_minute=settings.rate_limit_per_minute,
                       max_request_bytes=settings.max_request_bytes, redis_url=settings.redis_url,
                       uncounted_events={"": ui_steps(full_chat), "/embed": ui_steps(compact_chat)})

    install_docs(app, f"{title} API - Swagger UI")  # before the mount at /, like every route above

    # /embed before /: the mount at / would otherwise take every path under it.
    css = chat_css(title)
    app = gr.mount_gradio_app(app, compact_chat, path="/embed", footer_links=[],
                              head='<script src="/embed.js"></script><script src="/chat.js"></script>',
                              css=css + EMBED_CSS)
    app = gr.mount_gradio_app(app, full_chat, path="/", footer_links=[],
                              head='<script src="/chat.js"></script>', css=css)
    return app


def _log_unanswered(feedback: FeedbackLog, question: str, answer: str, suggestion_ids: list[str]) -> None:
    try:
        feedback.record_unanswered(question, answer, suggestion_ids, "api")
    except StorageUnavailable as exc:  # the answer was given; only the owner's log of it is missing
        log.warning(f"Unanswered question not logged: {exc}")


class PortInUse(UserError):
    exit_code = 1


BACKLOG = 2048  # connections the kernel queues for a listening socket


def bind(host: str, port: int, workers: int = 1) -> socket.socket:
    """Take the listening socket before anything slow happens, so a busy port fails at once.
    For several workers the port is only reserved (bound with SO_REUSEPORT, not listening):
    each worker then listens on a socket of its own (worker_socket)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortInUse(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    # The protocol number matters: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
    # sockets whose proto is IPPROTO_TCP, and accepted connections inherit it. With proto 0 every
    # response on a kept-alive connection waited ~40 ms for the client's delayed ACK (measured:
    # 48 ms median for /api/ask over one connection, 5 ms after this change).
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if workers > 1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        raise PortInUse(f"port {port} on {host} {reason}; stop what runs there or choose another with --port") \
            from None
    if workers == 1:
        sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def worker_socket(reserved: socket.socket) -> socket.socket:
    """A worker's own listening socket on the reserved address. With SO_REUSEPORT the kernel
    spreads new connections evenly over the workers' sockets. On one shared socket, asyncio
    accepts up to a hundred connections per wake-up, so the worker that woke first took nearly
    all of a burst and kept them (kept-alive): 2 workers served 0.89x to 1.08x of one; 1.8x to
    1.9x with a socket each."""
    own = socket.socket(reserved.family, reserved.type, reserved.proto)
    own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    own.bind(reserved.getsockname())
    own.listen(BACKLOG)
    reserved.close()  # this process's copy of the parent's reservation
    return own


def announce_when_listening(host: str, port: int, announce: Callable[[], None], limit: float = 600) -> None:
    """Call ``announce`` once a worker accepts connections on the port (checked by connecting)."""
    def wait() -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, port), timeout=1).close()
            except OSError:
                time.sleep(0.1)
                continue
            announce()
            return

    threading.Thread(target=wait, daemon=True).start()


def serve(settings: Settings, settings_source: Callable[[], Settings] | None = None,
          ready: Callable[[str], None] | None = None) -> None:
    """Run the web server until interrupted, in ``settings.workers`` processes sharing the port.
    ``settings_source`` re-reads the settings on reload; ``ready`` is told the chat's address once
    the port is taken and the bot loaded (with several workers: once they are started)."""
    from bot.web.workers import prepare_index, supervise, worker_count

    count = worker_count(settings.workers)
    sock = bind(settings.host, settings.port, count)
    host, port = sock.getsockname()[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    try:
        prepare_index(settings)  # torch, if a build needs it, only in a child process that exits
        if count == 1:
            run_worker(settings, settings_source, sock, settings.watch_corpus, ready=lambda: ready and ready(url))
            return
        log.info(f"Starting {count} worker processes on {url}")
        if ready is not None:
            announce_when_listening(host, port, lambda: ready(url))
        # One worker watches the corpus (rebuilding it once); every worker reloads the new build.
        supervise(count, lambda number: run_worker(settings, settings_source, worker_socket(sock),
                                                   settings.watch_corpus and number == 0))
    finally:
        sock.close()


def run_worker(settings: Settings, settings_source: Callable[[], Settings] | None, sock: socket.socket,
               watch_corpus: bool, ready: Callable[[], None] | None = None) -> None:
    """One server process on the listening ``sock``, until it is told to stop."""
    import uvicorn

    bot = FAQBot.open(settings, settings_source=settings_source)
    app = build_app(bot, open_feedback_store(settings.database_url, settings.data_path, settings.corpus_key))
    stop = threading.Event()
    if settings.reload_interval > 0:
        corpus = CorpusWatch(bot) if watch_corpus else None
        threading.Thread(target=watch_index, args=(bot, settings.reload_interval, stop, corpus), daemon=True).start()
    server = uvicorn.Server(uvicorn.Config(
        app, log_level="warning", http=with_header_timeout(settings.header_timeout),
        limit_concurrency=settings.max_connections, timeout_keep_alive=5,
        # X-Forwarded-For is believed only from the configured proxies; without any it is ignored.
        proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=settings.trusted_proxies or None))
    if ready is not None:
        ready()
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
