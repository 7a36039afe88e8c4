"""The chat page and the embeddable widget in a real browser: headless Debian Chromium driven by
Playwright, against the real `faqbot serve` in a child process.

Every browser context runs behind a network guard (tests/browser.py) that aborts and records any
request leaving 127.0.0.1/localhost; each test ends by checking that nothing was requested off
this machine and that no JavaScript dialog opened. Conversations: a follow-up asked in the chat
and in the widget is answered from the entry the conversation is about, with its best sentences
highlighted, and none of Gradio's chrome removed for a FAQ bot is on the page. Two bots are
started once for the module:
one on a small shop corpus (with an entry full of markup) whose only allowed foreign origin is
the "allowed" host site, and one on the real default FAQ.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from bot.corpus import load_corpus
from bot.web.demo_site import demo_page
from tests.support import DEFAULT_CORPUS, free_port
from tests.support.browser import (
    HostSite,
    NetworkGuard,
    ask,
    bot_message,
    feedback_rows,
    gradio_chrome,
    is_local,
    start_bot,
    stop_bot,
    wait_bot,
    without_widget,
)

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
MARKUP_QUESTION = f"How do I return a {SCRIPT} item?"

SHOP_CORPUS = f"""# Shop

## What are your opening hours?
id: hours
also: When do you open?
url: https://example.org/hours

We open at nine sharp and close at six on weekdays.

## Do you deliver abroad?
id: delivery
also: Can you ship to another country?
url: https://example.org/delivery

Yes, we ship to most countries in Europe within five working days.

## {MARKUP_QUESTION}
id: returns
also: How can I return an item I bought?
also: What is your returns policy?
url: https://example.org/returns

Send it back within 30 days. {SCRIPT} Our returns form shows {IMG} as plain text.

## Do you sell gift cards?
id: gift-cards
url: https://example.org/gift-cards

Yes, gift cards from ten to two hundred pounds are sold in every shop and online.
"""
# The start of each shop answer, by question: what the chat must show after that question.
SHOP_ANSWERS = {
    "What are your opening hours?": "We open at nine sharp",
    "Do you deliver abroad?": "Yes, we ship to most countries",
    MARKUP_QUESTION: "Send it back within 30 days.",
    "Do you sell gift cards?": "Yes, gift cards from ten",
}

LAYOUT_IDS = ("site-header", "site-main", "site-aside", "site-footer")
WIDGET = "#faqbot-widget"
# Generous, for a busy two-core machine; a passing check returns as soon as it holds.
expect.set_options(timeout=15_000)
# The guard of every browser context the tests made, for the last test.
GUARDS: list[NetworkGuard] = []


# --- servers and browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def bots(tmp_path_factory):
    """The shop bot, the bot on the default FAQ and two host sites: `allowed` (the one foreign
    origin the shop bot accepts) and `foreign` (not allowed). The second bot starts once the first
    is up (on two cores, loading two models at once is slower than one after the other) and loads
    while the shop tests run; the tests of the real FAQ come after them."""
    tmp = tmp_path_factory.mktemp("browser")
    shop_port = free_port()
    page = demo_page(f"http://127.0.0.1:{shop_port}")
    pages = {
        "/": page,
        "/without-widget": without_widget(page),
        "/blank": "<!doctype html><title>blank</title><p>nothing here</p>",
        "/leaky": '<!doctype html><img src="http://192.0.2.1/pixel.png">'
                  '<script src="https://cdn.example.org/lib.js"></script><p>leaky page</p>',
    }
    allowed, foreign = HostSite(dict(pages)), HostSite(dict(pages))
    (tmp / "shop.md").write_text(SHOP_CORPUS, encoding="utf-8")
    shop = start_bot(tmp / "shop", tmp / "shop.md", port=shop_port, allow_origins=[allowed.url])
    started = [shop]
    bots = SimpleNamespace(shop=shop, allowed=allowed, foreign=foreign, faq=None)
    try:
        wait_bot(shop)
        # The bot on the default FAQ loads while the shop tests run (its tests come later).
        started.append(start_bot(tmp / "faq", DEFAULT_CORPUS))
        bots.faq = started[-1]
        yield bots
    finally:
        for bot in started:
            stop_bot(bot)
        allowed.close()
        foreign.close()


@pytest.fixture(scope="module")
def faq(bots):
    """The bot on the real default FAQ (corpus/), its index built into a temporary folder."""
    return wait_bot(bots.faq)


@pytest.fixture
def new_context(browser):
    """Make guarded browser contexts; on teardown, fail if any of them requested anything off
    this machine or opened a dialog (alert, confirm, prompt)."""
    made = []

    def make(width=1200, height=800):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        guard = NetworkGuard(context)
        GUARDS.append(guard)
        dialogs: list[str] = []
        errors: list[str] = []
        context.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        context.on("page", lambda page: page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}")))
        made.append((context, guard, dialogs, errors))
        return context

    yield make
    for context, guard, dialogs, errors in made:
        context.close()
        assert guard.foreign() == [], f"requests left this machine: {guard.foreign()}"
        assert dialogs == [], f"a JavaScript dialog opened: {dialogs}"
        assert errors == [], f"uncaught JavaScript errors: {errors}"


@pytest.fixture
def page(new_context):
    return new_context().new_page()


# --- helpers --------------------------------------------------------------------------------


def open_chat(page, url):
    page.goto(url)
    expect(page.locator("#faqbot-input textarea")).to_be_editable()


def user_message(scope, text: str):
    return scope.locator("#faqbot-chat [data-testid=user]").filter(has_text=text)


def wait_until_done(scope, replies: int) -> None:
    """Wait until the reply being shown has finished: Gradio disables the input from before the
    first streamed word until the whole chain of events behind a message is done (a click on a
    rating button before that is lost when the reply is replaced). Call once a reply shows."""
    # At least one rating row per reply (the bubble layout has one, the panel layout two).
    expect(scope.locator("#faqbot-chat button[aria-label=Like]").nth(replies - 1)).to_be_visible()
    expect(scope.locator("#faqbot-input textarea")).to_be_editable()


def layout(page) -> dict:
    """Where the host page's own blocks are, and how big the document is."""
    return page.evaluate("""(ids) => {
        const boxes = {};
        for (const id of ids) {
            const r = document.getElementById(id).getBoundingClientRect();
            boxes[id] = [r.x, r.y, r.width, r.height];
        }
        const d = document.documentElement;
        boxes.document = [d.scrollWidth, d.scrollHeight];
        return boxes;
    }""", list(LAYOUT_IDS))


def widget_focus(page) -> str | None:
    """The class of the focused element inside the widget's shadow root, if focus is there."""
    return page.evaluate("""() => {
        const host = document.activeElement;
        if (!host || host.id !== 'faqbot-widget') return null;
        const inner = host.shadowRoot.activeElement;
        return inner ? inner.className : null;
    }""")


def fetch_ask(page, bot_url: str, question: str):
    """POST /api/ask from the page's own origin, as a script on that site would."""
    return page.evaluate("""async ([url, question]) => {
        try {
            const response = await fetch(url + '/api/ask', {method: 'POST',
                headers: {'content-type': 'application/json'}, body: JSON.stringify({question})});
            return {status: response.status, body: await response.json()};
        } catch (error) {
            return {error: String(error)};
        }
    }""", [bot_url, question])


# --- the chat page ---------------------------------------------------------------------------


def test_suggestion_button_asks_its_question(bots, page):
    open_chat(page, bots.shop.url + "/")
    # Not in the FAQ but near it: the bot declines and offers its closest questions (a question
    # unrelated to the shop, such as the weather, gets no suggestions).
    ask(page, "Can I collect my order from the shop?")
    expect(bot_message(page, "doesn't cover that")).to_contain_text("Did you mean one of these?")
    wait_until_done(page, 1)
    options = page.locator("#faqbot-chat button.option")
    expect(options.first).to_be_visible()
    labels = options.all_inner_texts()
    assert labels and set(labels) <= set(SHOP_ANSWERS), labels

    options.first.click()
    expect(user_message(page, labels[0])).to_be_visible()
    expect(bot_message(page, SHOP_ANSWERS[labels[0]])).to_be_visible()
    wait_until_done(page, 2)
    expect(page.locator("#faqbot-chat [data-testid=user]")).to_have_count(2)


def test_like_is_stored_in_the_feedback_database(bots, page):
    open_chat(page, bots.shop.url + "/")
    ask(page, "when do you open?")
    expect(bot_message(page, "We open at nine sharp")).to_be_visible()
    wait_until_done(page, 1)
    page.locator("#faqbot-chat button[aria-label=Like]").last.click()
    expect(page.locator("#faqbot-chat button[aria-label=Liked]")).to_have_count(1)

    votes = feedback_rows(bots.shop, "vote", question="when do you open?")
    assert len(votes) == 1, votes
    vote = votes[0]
    assert vote["vote"] == "up" and vote["channel"] == "web"
    assert json.loads(vote["cited_ids"]) == ["hours"]
    assert "We open at nine sharp" in vote["answer"] and vote["answer"].rstrip().endswith("[1]")


# --- the widget on another site -------------------------------------------------------------


def test_widget_keyboard_answer_escape_and_host_layout(bots, new_context):
    page = new_context().new_page()
    page.goto(bots.allowed.url + "/without-widget")
    before = layout(page)

    page.goto(bots.allowed.url + "/")
    button = page.locator(f"{WIDGET} .button")
    panel = page.locator(f"{WIDGET} .panel")
    expect(button).to_be_visible()
    expect(panel).to_be_hidden()
    assert layout(page) == before, "loading the widget moved the host page"
    assert page.locator(f"{WIDGET} iframe").count() == 0, "the chat should load only when opened"

    for _ in range(10):  # the button is reachable with Tab, after the page's own links
        page.keyboard.press("Tab")
        if widget_focus(page) == "button":
            break
    assert widget_focus(page) == "button"
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    assert widget_focus(page) == "close", "opening should move focus to the close button"

    chat = page.frame_locator(f"{WIDGET} iframe")
    ask(chat, "when do you open?")
    expect(bot_message(chat, "We open at nine sharp")).to_be_visible()
    assert layout(page) == before, "opening the widget moved the host page"

    # Escape while focus is in the chat inside the iframe: embed.js tells the widget to close.
    chat.locator("#faqbot-input textarea").press("Escape")
    expect(panel).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    assert widget_focus(page) == "button", "closing should give focus back to the button"
    assert layout(page) == before, "closing the widget moved the host page"


def test_widget_closes_with_escape_on_the_close_button_and_by_clicking_it(bots, new_context):
    page = new_context().new_page()
    page.goto(bots.allowed.url + "/")
    button = page.locator(f"{WIDGET} .button")
    panel = page.locator(f"{WIDGET} .panel")
    close = page.locator(f"{WIDGET} .close")

    button.click()
    expect(panel).to_be_visible()
    expect(page.frame_locator(f"{WIDGET} iframe").locator("#faqbot-input textarea")).to_be_editable()
    expect(close).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert widget_focus(page) == "button"

    button.click()  # reopening keeps the same chat, it is not loaded again
    expect(panel).to_be_visible()
    assert page.locator(f"{WIDGET} iframe").count() == 1
    close.click()
    expect(panel).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")


def test_widget_panel_fits_a_phone_screen(bots, new_context):
    width, height = 375, 667
    page = new_context(width, height).new_page()
    page.goto(bots.allowed.url + "/without-widget")
    before = layout(page)
    page.goto(bots.allowed.url + "/")
    page.locator(f"{WIDGET} .button").click()
    chat = page.frame_locator(f"{WIDGET} iframe")
    ask(chat, "Do you deliver abroad?")
    expect(bot_message(chat, "Yes, we ship")).to_be_visible()

    def inside_viewport(box):
        return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width + 0.5
                and box["y"] + box["height"] <= height + 0.5)

    panel = page.locator(f"{WIDGET} .panel").bounding_box()
    assert inside_viewport(panel) and panel["width"] >= width - 1, panel
    assert inside_viewport(page.locator(f"{WIDGET} .close").bounding_box())
    for control in (chat.locator("#faqbot-input textarea"), chat.locator("#faqbot-input button.submit-button")):
        box = control.bounding_box()
        assert inside_viewport(box), box
        # Nothing of the widget (the floating button) lies over the chat's own controls.
        on_top = page.evaluate("""([x, y]) => {
            const element = document.getElementById('faqbot-widget').shadowRoot.elementFromPoint(x, y);
            return element ? element.tagName.toLowerCase() : null;
        }""", [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
        assert on_top == "iframe", f"{on_top} covers a chat control at {box}"

    page.locator(f"{WIDGET} .close").click()
    expect(page.locator(f"{WIDGET} .panel")).to_be_hidden()
    expect(page.locator(f"{WIDGET} .button")).to_be_visible()
    assert widget_focus(page) == "button"
    assert layout(page) == before


def test_a_site_not_allowed_can_neither_frame_the_chat_nor_call_the_api(bots, new_context):
    page = new_context().new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(bots.foreign.url + "/")
    page.locator(f"{WIDGET} .button").click()
    frame_element = page.locator(f"{WIDGET} iframe")
    expect(frame_element).to_have_attribute("src", bots.shop.url + "/embed/")
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_load_state()
    expect(page.locator(f"{WIDGET} .panel")).to_be_visible()
    assert not frame.url.startswith(bots.shop.url), f"the chat loaded in a foreign site's frame: {frame.url}"
    assert frame.locator("#faqbot-input").count() == 0
    assert any("frame-ancestors" in text for text in console), console

    refused = fetch_ask(page, bots.shop.url, "when do you open?")
    assert "error" in refused and "Failed to fetch" in refused["error"], refused
    # A request that needs no CORS preflight still reaches the server, which refuses it outright
    # (403 before the body is even read; the page could not read the reply in any case).
    with page.expect_response(lambda response: response.url == bots.shop.url + "/api/ask") as sent:
        page.evaluate("""(url) => fetch(url + '/api/ask', {method: 'POST', mode: 'no-cors',
            headers: {'content-type': 'text/plain'}, body: JSON.stringify({question: 'when do you open?'})})""",
                      bots.shop.url)
    assert sent.value.status == 403

    allowed_page = new_context().new_page()
    allowed_page.goto(bots.allowed.url + "/blank")
    answered = fetch_ask(allowed_page, bots.shop.url, "when do you open?")
    assert answered.get("status") == 200, answered
    assert answered["body"]["answered"] and answered["body"]["citations"][0]["id"] == "hours"


# --- markup in the corpus and in questions --------------------------------------------------


def test_markup_in_the_corpus_shows_as_text_and_runs_nothing(bots, page):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    open_chat(page, bots.shop.url + "/")
    ask(page, "What is your returns policy?")
    reply = bot_message(page, "Send it back within 30 days.")
    expect(reply).to_contain_text(f"Send it back within 30 days. {SCRIPT} Our returns form shows {IMG} as plain text.")
    wait_until_done(page, 1)

    page.locator("#faqbot-chat details.faqbot-sources summary", has_text="Sources (1)").click()  # expand the sources
    source_link = page.locator('#faqbot-chat a[href="/source/returns"]', has_text="How do I return")
    expect(source_link).to_have_text(MARKUP_QUESTION)

    chat = page.locator("#faqbot-chat")
    assert chat.locator("script").count() == 0
    assert chat.locator("img[src=x]").count() == 0
    assert chat.locator("[onerror]").count() == 0

    with page.context.expect_page() as opened:
        source_link.click()
    source = opened.value
    source.wait_for_load_state()
    expect(source.locator("h1")).to_have_text(MARKUP_QUESTION)
    expect(source.locator("body")).to_contain_text(IMG)
    assert source.locator("script").count() == 0 and source.locator("img").count() == 0
    assert dialogs == []


def test_markup_typed_by_a_visitor_runs_nothing(bots, page):
    open_chat(page, bots.shop.url + "/")
    ask(page, '<img src=x onerror="alert(3)"><script>alert(4)</script> do you sell gift cards?')
    expect(bot_message(page, "gift cards from ten")).to_be_visible()
    wait_until_done(page, 1)
    chat = page.locator("#faqbot-chat")
    assert chat.locator("script").count() == 0
    assert chat.locator("[onerror]").count() == 0
    # What the visitor typed is shown as text, not rendered (not even as a harmless image).
    assert chat.locator("img[src=x]").count() == 0
    expect(chat).to_contain_text('<img src=x onerror="alert(3)"><script>alert(4)</script> do you sell gift cards?')


# --- the real FAQ ---------------------------------------------------------------------------


def test_chat_page_shows_example_questions_and_clicking_one_answers_it(faq, page):
    entries = load_corpus(DEFAULT_CORPUS)
    first_of_category = {}
    for entry in entries:
        first_of_category.setdefault(entry.category, entry)
    expected = [e.question for e in first_of_category.values()][:4]

    open_chat(page, faq.url + "/")
    examples = page.locator("#faqbot-chat button.example")
    expect(examples).to_have_text(expected)

    examples.first.click()
    entry = first_of_category[entries[0].category]
    expect(user_message(page, entry.question)).to_be_visible()
    reply = bot_message(page, entry.answer.split(".")[0])
    expect(reply).to_be_visible()
    expect(reply.locator(f'a[href="/source/{entry.id}"]').first).to_have_text("[1]")


def test_citation_link_opens_the_source_page_of_the_cited_entry(faq, page):
    open_chat(page, faq.url + "/")
    ask(page, "can I study for APM on my own?")
    reply = bot_message(page, "you can prepare for an APM exam on your own")
    expect(reply).to_be_visible()
    citation = reply.locator("a", has_text="[1]")
    expect(citation).to_have_attribute("href", "/source/apm-self-study")

    with page.context.expect_page() as opened:  # the chat opens sources in a new tab
        citation.click()
    source = opened.value
    source.wait_for_load_state()
    assert source.url == faq.url + "/source/apm-self-study"
    expect(source.locator("h1")).to_have_text("Can you self study for APM?")
    expect(source.locator("body")).to_contain_text("Yes, you can prepare for an APM exam on your own")


# --- conversations: follow-ups, highlights, no Gradio chrome ---------------------------------

PPQ_ENTRY = "apm-ppq"
ONLINE_EXAMS = "apm-online-exams"


def last_reply(scope):
    """The newest answer of the bot (not its Sources block)."""
    return scope.locator("#faqbot-chat [data-testid=bot]").filter(has_not=scope.locator("details.faqbot-sources")).last


def assert_cites(reply, entry_id: str) -> None:
    expect(reply.locator(f'a[href="/source/{entry_id}"]').first).to_have_text("[1]")


def assert_highlight_visible(reply) -> None:
    """A <mark> in the answer, visible, with text of the answer, on a background of its own."""
    mark = reply.locator("mark").first
    expect(mark).to_be_visible()
    text = mark.inner_text().strip()
    assert len(text) > 20 and text in reply.inner_text(), text
    assert mark.evaluate("m => getComputedStyle(m).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")


def in_view(scope, element) -> bool:
    """Whether ``element`` lies wholly inside the visible part of the conversation."""
    log = scope.locator("#faqbot-chat [role=log]").bounding_box()
    box = element.bounding_box()
    return box["y"] >= log["y"] - 0.5 and box["y"] + box["height"] <= log["y"] + log["height"] + 0.5


def test_chat_reads_a_follow_up_in_context_highlights_it_and_has_no_gradio_chrome(faq, page):
    open_chat(page, faq.url + "/")
    assert gradio_chrome(page) == []
    expect(page.get_by_role("link", name="API documentation")).to_have_attribute("href", "/docs")

    ask(page, "Who is the APM PPQ for?")
    expect(bot_message(page, "PPQ")).to_be_visible()
    wait_until_done(page, 1)
    assert_cites(last_reply(page), PPQ_ENTRY)
    expect(page.locator("#faqbot-chat .faqbot-context")).to_have_count(0)  # a question on its own

    ask(page, "how is it assessed?")  # alone, "it" names nothing: the conversation says what
    expect(page.locator("#faqbot-chat [data-testid=user]")).to_have_count(2)
    wait_until_done(page, 2)
    reply = last_reply(page)
    assert_cites(reply, PPQ_ENTRY)
    expect(reply.locator(".faqbot-context")).to_have_text("About: What is the APM PPQ?")
    assert_highlight_visible(reply)

    # The question box keeps its placeholder; the suggestions are the bot's offers: on its side,
    # under its message, not on the visitor's side.
    expect(page.locator("#faqbot-input textarea")).to_have_attribute("placeholder", "Type your question...")
    option = page.locator("#faqbot-chat button.option").first
    expect(option).to_be_visible()
    bot_box = reply.bounding_box()
    option_box = option.bounding_box()
    question_box = page.locator("#faqbot-chat [data-testid=user]").last.bounding_box()
    assert abs(option_box["x"] - bot_box["x"]) < 40 and option_box["x"] < question_box["x"], (option_box, bot_box)
    assert option_box["y"] > bot_box["y"] + bot_box["height"]
    assert gradio_chrome(page) == []

    # Clearing the chat forgets the conversation: the same follow-up now stands alone.
    page.locator("#faqbot-chat button[aria-label=Clear]").click()
    expect(page.locator("#faqbot-chat [data-testid=user]")).to_have_count(0)
    ask(page, "how is it assessed?")
    expect(page.locator("#faqbot-chat [data-testid=bot]").first).to_be_visible()
    wait_until_done(page, 1)
    expect(page.locator("#faqbot-chat .faqbot-context")).to_have_count(0)


def test_chat_asks_back_with_both_readings_as_buttons_when_a_follow_up_could_mean_two_things(faq, page):
    # benchmarks/dialogues/default.jsonl, dialogue default-60: after a project manager and a PMO,
    # "which one's higher up" could ask about either.
    open_chat(page, faq.url + "/")
    for number, question in enumerate(["What does a project manager do all day?",
                                       "how is that different from someone in a pmo?"], 1):
        ask(page, question)
        wait_until_done(page, number)
    ask(page, "which one's higher up")
    expect(bot_message(page, "That could be about more than one thing")).to_be_visible()
    wait_until_done(page, 3)
    options = page.locator("#faqbot-chat button.option")
    expect(options).to_have_text(["Is PMO more senior than project manager?",
                                  "Is a program manager higher than a project manager?"])
    expect(page.locator("#faqbot-chat").get_by_text("Did you mean one of these?")).to_have_count(0)
    options.first.click()
    expect(user_message(page, "Is PMO more senior than project manager?")).to_be_visible()
    wait_until_done(page, 4)
    assert_cites(last_reply(page), "pmo-vs-pm-seniority")


def test_widget_follow_up_question_stays_in_view_and_survives_close_and_reopen(faq, new_context):
    host = HostSite({"/": demo_page(faq.url)})  # any 127.0.0.1 port may frame a bot with no allowed origins
    try:
        page = new_context().new_page()
        page.goto(host.url + "/")
        launcher, panel = page.locator(f"{WIDGET} .button"), page.locator(f"{WIDGET} .panel")
        expect(launcher).to_have_attribute("aria-label", "Ask our FAQ")
        launcher.click()
        expect(panel).to_be_visible()
        expect(launcher).to_have_attribute("aria-label", "Close chat")  # the launcher closes it now
        expect(launcher).to_have_attribute("aria-expanded", "true")
        chat = page.frame_locator(f"{WIDGET} iframe")
        assert gradio_chrome(chat) == []

        ask(chat, "Can I sit an APM exam from home?")
        wait_until_done(chat, 1)
        assert_cites(last_reply(chat), ONLINE_EXAMS)
        ask(chat, "which browser do i need")
        wait_until_done(chat, 2)
        reply = last_reply(chat)
        assert_cites(reply, ONLINE_EXAMS)
        expect(reply.locator(".faqbot-context")).to_contain_text("About: ")
        assert_highlight_visible(reply)
        # The answer is longer than the panel: the question it answers stays in view above it.
        question = chat.locator("#faqbot-chat [data-testid=user]").last
        expect(question).to_have_text("which browser do i need")
        page.wait_for_timeout(500)  # past chat.js's settling of the scroll
        assert in_view(chat, question)
        assert reply.bounding_box()["y"] > question.bounding_box()["y"]
        assert gradio_chrome(chat) == []

        launcher.click()
        expect(panel).to_be_hidden()
        expect(launcher).to_have_attribute("aria-label", "Ask our FAQ")
        launcher.click()
        expect(panel).to_be_visible()
        expect(chat.locator("#faqbot-chat [data-testid=user]")).to_have_text(
            ["Can I sit an APM exam from home?", "which browser do i need"])
        assert_cites(last_reply(chat), ONLINE_EXAMS)
    finally:
        host.close()


# --- nothing leaves this machine ------------------------------------------------------------


def test_the_network_guard_catches_requests_off_this_machine(bots, browser):
    # Proves the guard used by every test above can fail: a page that loads an image and a
    # script from the internet has both requests recorded and aborted.
    context = browser.new_context()
    try:
        guard = NetworkGuard(context)
        page = context.new_page()
        page.goto(bots.allowed.url + "/leaky")
        expect(page.locator("p")).to_have_text("leaky page")
        assert guard.foreign() == ["http://192.0.2.1/pixel.png", "https://cdn.example.org/lib.js"]
        assert sorted(guard.aborted) == guard.foreign()
    finally:
        context.close()
    assert not is_local("http://127.0.0.1.example.org/") and not is_local("http://localhost@example.org/")
    assert is_local("http://localhost:8000/x") and is_local("data:image/png;base64,AAAA")


def test_nothing_was_requested_off_this_machine(bots, page):
    # Runs last: every browser request of this module, and both servers' own connections.
    open_chat(page, bots.shop.url + "/")
    ask(page, "Do you sell gift cards?")
    expect(bot_message(page, "gift cards from ten")).to_be_visible()
    requested = [url for guard in GUARDS for url in guard.requested]
    assert sorted({url for url in requested if not is_local(url)}) == []
    assert any("/gradio_api/run/predict" in url for url in requested)
    assert bots.shop.network_attempts() == "" and bots.faq.network_attempts() == ""
