"""Screenshots of the chat page and of the widget on a host site, for the docs.

Run from the project folder:

    .venv/bin/python scripts/screenshots.py

It starts `faqbot serve` on the default corpus (its index built into a temporary folder, so the
project's own index/ and data/ are left alone), serves the demo host page (`faqbot demo-site`'s
page) from another 127.0.0.1 port, drives headless Debian Chromium (/usr/bin/chromium; never
`playwright install`) and writes:

    docs/screenshots/chat.png     the chat page (1100x800) answering "Can you self study for APM?"
    docs/screenshots/widget.png   the demo page (1200x800) with the widget open, showing an answer

Everything stays on this machine: requests to anything but 127.0.0.1 are refused and reported.
Takes about half a minute (most of it loading the model and building the index).
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
CHAT_QUESTION = "Can you self study for APM?"
WIDGET_QUESTION = "Do APM qualifications expire?"  # one of the shortest answers: it fits the panel best


def wait_for_reply(chat, text: str) -> None:
    """Until the reply containing text is complete (Gradio re-enables the input at the end)."""
    expect(chat.locator("#faqbot-chat [data-testid=bot]").filter(has_text=text).first).to_be_visible()
    expect(chat.locator("#faqbot-chat button[aria-label=Like]").first).to_be_visible()
    expect(chat.locator("#faqbot-input textarea")).to_be_editable()


def chat_screenshot(browser, bot_url: str, path: Path) -> list[str]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    guard = NetworkGuard(context)
    page = context.new_page()
    page.goto(bot_url + "/")
    ask(page, CHAT_QUESTION)
    wait_for_reply(page, "you can prepare for an APM exam on your own")
    # Expand the Sources block; a late re-render of the reply can fold it again, so check that it
    # stays open.
    title = page.locator("#faqbot-chat details.faqbot-sources summary", has_text="Sources")
    link = page.locator('#faqbot-chat a[href="/source/apm-self-study"]', has_text=CHAT_QUESTION)
    for _ in range(5):
        if not link.is_visible():
            title.click()
        page.wait_for_timeout(400)
        if link.is_visible():
            break
    expect(link).to_be_visible()
    page.mouse.move(0, 0)  # no hover effects in the picture
    page.screenshot(path=str(path))
    context.close()
    return guard.foreign()


def widget_screenshot(browser, host_url: str, path: Path) -> list[str]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    guard = NetworkGuard(context)
    page = context.new_page()
    page.goto(host_url + "/")
    page.locator("#faqbot-widget .button").click()
    chat = page.frame_locator("#faqbot-widget iframe")
    ask(chat, WIDGET_QUESTION)
    wait_for_reply(chat, "expire")
    # The chat keeps its newest line in view, which leaves the start of a long answer above the
    # fold; scroll (with the wheel, as a visitor would: Gradio undoes programmatic scrolling) so
    # that the answer starts at the top of the panel.
    log = chat.locator("#faqbot-chat [role=log]")
    answer = chat.locator("#faqbot-chat [data-testid=bot]").first
    box = log.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(10):
        offset = answer.bounding_box()["y"] - log.bounding_box()["y"] - 8
        if offset > -4:  # the answer's first line is in view
            break
        page.mouse.wheel(0, offset)
        page.wait_for_timeout(300)
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    context.close()
    return guard.foreign()


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
                    foreign = chat_screenshot(browser, bot.url, OUT / "chat.png")
                    foreign += widget_screenshot(browser, host.url, OUT / "widget.png")
                    browser.close()
                attempts = bot.network_attempts()
        finally:
            host.close()
    if foreign or attempts:
        print(f"Something tried to leave this machine: {foreign} {attempts}", file=sys.stderr)
        return 1
    for name in ("chat.png", "widget.png"):
        print(f"Wrote {(OUT / name).relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
