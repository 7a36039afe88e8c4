"""Screenshots of the chat page and of the widget on a host site, for the docs, at desktop and
phone widths.

Run from the project folder:

    .venv/bin/python scripts/screenshots.py

It starts `faqbot serve` on the default corpus (its index built into a temporary folder, so the
project's own index/ and data/ are left alone), serves the demo host page (`faqbot demo-site`'s
page) from another 127.0.0.1 port, drives headless Debian Chromium (/usr/bin/chromium; never
`playwright install`) through a two-question conversation (a question, then a follow-up that
leans on it) and writes:

    docs/screenshots/chat.png           the chat page, 1100x800: "What is a PMO?", then "does it pay well?"
    docs/screenshots/chat-phone.png     the same at 390x844
    docs/screenshots/widget.png         the demo page, 1200x800, the widget open: "What is the APM PFQ?",
                                        then "how long does it take?"
    docs/screenshots/widget-phone.png   the same at 390x844

Everything stays on this machine: requests to anything but 127.0.0.1 are refused and reported.
Takes about a minute (most of it loading the model and building the index).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from bot.web.demo_site import demo_page  # noqa: E402
from tests.support import DEFAULT_CORPUS, free_port  # noqa: E402
from tests.support.browser import HostSite, NetworkGuard, ask, launch_chromium, running_bot  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DESKTOP, PHONE = (1100, 800), (390, 844)
HOST_DESKTOP = (1200, 800)
# (question, the start of its answer): a question, then a follow-up read in its context.
CHAT_CONVERSATION = [("What is a PMO?", "A PMO"), ("does it pay well?", "Yes at management level")]
WIDGET_CONVERSATION = [("What is the APM PFQ?", "The PFQ"), ("how long does it take?", "An APM PFQ course")]


def converse(chat, conversation) -> None:
    """Ask each question and wait until its reply is complete (Gradio re-enables the input at the
    end); chat.js then keeps the last question at the top of the conversation, its answer below."""
    for number, (question, answer_start) in enumerate(conversation, 1):
        ask(chat, question)
        expect(chat.locator("#faqbot-chat [data-testid=bot]").filter(has_text=answer_start).first).to_be_visible()
        expect(chat.locator("#faqbot-chat button[aria-label=Like]").nth(number - 1)).to_be_visible()
        expect(chat.locator("#faqbot-input textarea")).to_be_editable()
    expect(chat.locator("#faqbot-chat mark").last).to_be_visible()


def settle(page) -> None:
    page.mouse.move(0, 0)  # no hover effects in the picture
    page.wait_for_timeout(2500)  # past chat.js's settling of the scroll, and Gradio's fades


def chat_screenshot(browser, bot_url: str, size: tuple[int, int], path: Path) -> list[str]:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    guard = NetworkGuard(context)
    page = context.new_page()
    page.goto(bot_url + "/")
    converse(page, CHAT_CONVERSATION)
    settle(page)
    page.screenshot(path=str(path))
    context.close()
    return guard.foreign()


def widget_screenshot(browser, host_url: str, size: tuple[int, int], path: Path) -> list[str]:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    guard = NetworkGuard(context)
    page = context.new_page()
    page.goto(host_url + "/")
    page.locator("#faqbot-widget .button").click()
    converse(page.frame_locator("#faqbot-widget iframe"), WIDGET_CONVERSATION)
    settle(page)
    page.screenshot(path=str(path))
    context.close()
    return guard.foreign()


SHOTS = [
    ("chat.png", chat_screenshot, "bot", DESKTOP),
    ("chat-phone.png", chat_screenshot, "bot", PHONE),
    ("widget.png", widget_screenshot, "host", HOST_DESKTOP),
    ("widget-phone.png", widget_screenshot, "host", PHONE),
]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="faqbot-screenshots-") as tmp:
        bot_port = free_port()
        host = HostSite({"/": demo_page(f"http://127.0.0.1:{bot_port}")})
        try:
            print("Starting the bot on the default corpus (building its index)...", file=sys.stderr, flush=True)
            with running_bot(Path(tmp), DEFAULT_CORPUS, port=bot_port, allow_origins=[host.url]) as bot:
                with sync_playwright() as playwright:
                    browser = launch_chromium(playwright)
                    urls = {"bot": bot.url, "host": host.url}
                    foreign = []
                    for name, shoot, where, size in SHOTS:
                        foreign += shoot(browser, urls[where], size, OUT / name)
                    browser.close()
                attempts = bot.network_attempts()
        finally:
            host.close()
    if foreign or attempts:
        print(f"Something tried to leave this machine: {foreign} {attempts}", file=sys.stderr)
        return 1
    for name, *_ in SHOTS:
        print(f"Wrote {(OUT / name).relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
