"""Helpers for the real-browser tests (tests/test_browser.py) and scripts/screenshots.py:
headless Debian Chromium driven by Playwright, the real `faqbot serve` in a child process, tiny
host sites on other 127.0.0.1 ports, and a network guard that refuses and records every request
leaving this machine.

The guard routes only non-local URLs: routing every request (even just to continue it) breaks
Gradio's streamed replies (server-sent events on /gradio_api/queue/data), so local traffic is
only observed, never intercepted.
"""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.support import ROOT, faqbot_command, free_port, wait_for_http

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
NETWORK_SCHEMES = {"http", "https", "ws", "wss"}
# Schemes that never leave the browser.
INNER_SCHEMES = {"data", "blob", "about"}


def ask(scope, question: str) -> None:
    """Type a question into the chat (a page or a frame locator) and send it with Enter."""
    from playwright.sync_api import expect

    box = scope.locator("#faqbot-input textarea")
    expect(box).to_be_editable()
    box.fill(question)
    box.press("Enter")


def bot_message(scope, text: str):
    """The bot's message holding ``text`` in a chat (a page or a frame locator): the answer itself,
    not its Sources block (which repeats the start of each cited answer, collapsed)."""
    return (scope.locator("#faqbot-chat [data-testid=bot]").filter(has_text=text)
            .filter(has_not=scope.locator("details.faqbot-sources")))


# Gradio chrome that means nothing for a FAQ bot, removed from the chat (bot/web/chat_ui.py): the
# retry, undo and share buttons, the label chip repeating the title, the "Use via API" footer.
GRADIO_CHROME = {
    "retry button": "button[aria-label=Retry], button[title=Retry]",
    "undo button": "button[aria-label=Undo], button[title=Undo]",
    "share button": "button[aria-label=Share], button[title=Share]",
    "label chip": "#faqbot-chat [data-testid=block-label]",
    "Use via API": "footer .show-api",
}
# The only buttons of the chat itself (beside the suggestions and example questions).
CHAT_BUTTONS = {"Clear", "Copy conversation", "Copy message", "Like", "Liked", "Dislike", "Disliked", "Scroll down"}


def gradio_chrome(scope) -> list[str]:
    """What of GRADIO_CHROME a page or frame (locator scope) shows, and any unknown icon button of the chat."""
    shown = [name for name, selector in GRADIO_CHROME.items() if scope.locator(selector).count()]
    if scope.get_by_text("Use via API").count():
        shown.append("Use via API text")
    labels = scope.locator("#faqbot-chat button[aria-label]").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    return shown + sorted({f"button {label!r}" for label in labels} - {f"button {label!r}" for label in CHAT_BUTTONS})


def launch_chromium(playwright):
    """The system Chromium (never `playwright install`: it downloads a browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def is_local(url: str) -> bool:
    """True for a URL that stays on this machine. Parsed, not prefix-matched, so that
    http://127.0.0.1.example.org/ or http://localhost@example.org/ count as foreign."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in INNER_SCHEMES:
        return True
    return scheme in NETWORK_SCHEMES and parts.hostname in LOCAL_HOSTS


class NetworkGuard:
    """Aborts and records every request from a browser context that would leave this machine,
    and records every URL the context requested at all (requests, websockets)."""

    def __init__(self, context):
        self.requested: list[str] = []
        self.aborted: list[str] = []
        context.on("request", lambda request: self.requested.append(request.url))
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)
        context.route(lambda url: not is_local(url), self._abort)

    def _watch_page(self, page) -> None:
        page.on("websocket", lambda ws: self.requested.append(ws.url))

    def _abort(self, route) -> None:
        self.aborted.append(route.request.url)
        route.abort()

    def foreign(self) -> list[str]:
        return sorted({u for u in self.requested + self.aborted if not is_local(u)})


# --- the bot server -------------------------------------------------------------------------


@dataclass
class BotServer:
    url: str
    process: subprocess.Popen
    netlog: Path
    data_dir: Path
    log: Path

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

    def network_attempts(self) -> str:
        """What the server process tried to reach off this machine (tests/netguard.py)."""
        return self.netlog.read_text(encoding="utf-8") if self.netlog.exists() else ""


def start_bot(workdir: Path, corpus: Path, port: int | None = None, allow_origins=()) -> BotServer:
    """Start `faqbot serve` (not yet waited for: see wait_bot) with its index, data directory,
    network log and output all under workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    args = ["serve", "--port", str(port), "--corpus", str(corpus), "--index", str(workdir / "index")]
    for origin in allow_origins:
        args += ["--allow-origin", origin]
    netlog, data_dir, log = workdir / "network.log", workdir / "data", workdir / "server.log"
    env = {**os.environ, "FAQBOT_NETGUARD_LOG": str(netlog), "FAQBOT_DATA_DIR": str(data_dir)}
    env.pop("FAQBOT_CONFIG", None)
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(faqbot_command(*args), cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, text=True)
    return BotServer(f"http://127.0.0.1:{port}", process, netlog, data_dir, log)


def wait_bot(bot: BotServer, timeout: float = 120) -> BotServer:
    try:
        wait_for_http(bot.url + "/api/health", bot.process, timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server output ---\n{bot.log.read_text(encoding='utf-8')}") from None
    return bot


def stop_bot(bot: BotServer) -> None:
    bot.process.terminate()
    try:
        bot.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        bot.process.kill()
        bot.process.wait()


@contextmanager
def running_bot(workdir: Path, corpus: Path, port: int | None = None, allow_origins=()):
    bot = start_bot(workdir, corpus, port, allow_origins)
    try:
        yield wait_bot(bot)
    finally:
        stop_bot(bot)


# --- host sites -----------------------------------------------------------------------------

WIDGET_TAG = re.compile(r"<script [^>]*/widget\.js[^>]*></script>\s*")


def without_widget(page: str) -> str:
    """The same host page with the widget's script tag taken out."""
    stripped, count = WIDGET_TAG.subn("", page)
    assert count == 1, "the host page should hold exactly one widget script tag"
    return stripped


@dataclass
class HostSite:
    """A static site on its own 127.0.0.1 port (so another origin than the bot's), serving
    a few HTML pages by path from a thread."""

    pages: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def feedback_rows(bot, kind: str, question: str | None = None, timeout: float = 10.0) -> list[dict]:
    """Rows of a running bot's feedback table of one kind (and question), polled until there is
    one: votes are stored by an event that runs after the click."""
    import sqlite3
    import time

    deadline = time.monotonic() + timeout
    while True:
        rows = []
        if bot.feedback_db.exists():
            db = sqlite3.connect(f"file:{bot.feedback_db}?mode=ro", uri=True)
            try:
                db.row_factory = sqlite3.Row
                rows = [dict(r) for r in db.execute("SELECT * FROM feedback WHERE kind = ? ORDER BY id", (kind,))
                        if question is None or r["question"] == question]
            finally:
                db.close()
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


# --- accessibility --------------------------------------------------------------------------

BLOCKING_IMPACTS = ("critical", "serious")
# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices: axe's default
# set, plus the WCAG 2.2 rules it leaves out by default (target-size).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_results(scope) -> dict:
    """axe-core's results for a page or a frame (Playwright Page or Frame), from the axe-core that
    axe-playwright-python bundles (nothing is fetched). Frames inside are not entered: a widget's
    cross-origin iframe is checked on its own, as a Frame."""
    from axe_playwright_python.sync_playwright import Axe

    # Once fades and other finite animations have ended: half-way, text is measured half-transparent.
    scope.wait_for_function("""() => document.getAnimations().every(a => a.playState !== 'running'
        || a.effect?.getComputedTiming().endTime === Infinity)""")
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"], "iframes": False}
    return Axe().run(scope, options=options).response


def axe_report(violations: list[dict]) -> str:
    """One line per violation and up to three of its elements: enough to find and fix it."""
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']} ({v['help']}), {len(v['nodes'])} element(s)")
        lines += [f"    {' > '.join(map(str, n['target']))}: {n['html'][:160]}" for n in v["nodes"][:3]]
    return "\n".join(lines)
