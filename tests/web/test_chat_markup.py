"""The chat's own markup (bot/web/chat_markup.py), where Gradio's fails accessibility: citations
named after their source, the Sources block as a <details> disclosure, the example questions as a
list of buttons, and who said each message in chat.css; the highlighted sentences, the "About:"
line of a follow-up, asking back with two buttons; and the conversation read back from the chat's
messages for the next question. Everything from the corpus stays escaped."""

from __future__ import annotations

import re

from bot.answer import WHICH_ONE, Answer, Citation, Suggestion
from bot.highlight import Span
from bot.web.chat_markup import (
    answer_markdown,
    cited_ids_in,
    conversation,
    highlighted,
    is_sources,
    message_text,
    placeholder_html,
    reply_messages,
    sources_html,
)
from bot.web.chat_ui import chat_css

MARKUP = 'Do you "open" <b>late</b>?'
ANSWER = Answer("when do you open?", True, "We open at nine. [1]\n\nLate on Fridays [2], not [3]. [1]", 0.9,
                [Citation("hours", MARKUP, "", 0.9, "We open at <i>nine</i>."),
                 Citation("fridays", "Fridays?", "", 0.8, "Late.")],
                [Suggestion("delivery", "Do you deliver?")])


def test_each_citation_links_to_its_source_named_after_it_and_saying_it_opens_a_new_tab():
    text = answer_markdown(ANSWER)
    links = re.findall(r"<a [^>]*>[^<]*</a>", text)
    assert len(links) == 3  # [3] cites nothing: left as it is
    first = links[0]
    assert 'href="/source/hours"' in first and 'target="_blank"' in first and ">[1]</a>" in first
    assert 'title="Source 1: Do you &quot;open&quot; &lt;b&gt;late&lt;/b&gt;? (opens in a new tab)"' in first
    assert 'title="Source 2: Fridays? (opens in a new tab)"' in links[1] and "not [3]. <a " in text


def test_sources_are_a_details_disclosure_with_named_links_and_escaped_snippets():
    html = sources_html(ANSWER)
    assert html.startswith('<details class="faqbot-sources"><summary>Sources (2)</summary><ol><li>')
    assert 'title="Fridays? (opens in a new tab)">Fridays?</a>' in html
    assert "&lt;i&gt;nine&lt;/i&gt;" in html and "<b>" not in html and "<i>" not in html


def test_a_reply_is_the_answer_then_its_sources_with_the_suggestions():
    answer, sources = reply_messages(ANSWER)
    assert answer.metadata in (None, {}) and sources.metadata in (None, {})  # no Gradio "thought" block
    assert sources.options == [{"label": "Do you deliver?", "value": "Do you deliver?"}]
    assert sources.content.endswith("</details>")
    history = [{"role": "assistant", "content": [{"type": "text", "text": m.content}]} for m in (answer, sources)]
    assert [is_sources(m) for m in history] == [False, True]
    # Feedback stores what the visitor saw: "[1]", not the link markup; and the ids cited.
    assert message_text(history[0]["content"]) == "We open at nine. [1]\n\nLate on Fridays [2], not [3]. [1]"
    assert cited_ids_in(history) == ["hours", "fridays"]


def test_example_questions_are_a_list_of_buttons_that_carry_their_question():
    html = placeholder_html("Ask away.", ["What is a PMO?", MARKUP])
    assert html.startswith('<p>Ask away.</p><ul class="faqbot-examples"><li><button type="button" class="example"')
    escaped = "Do you &quot;open&quot; &lt;b&gt;late&lt;/b&gt;?"
    assert f'value="{escaped}">Do you "open" &lt;b&gt;late&lt;/b&gt;?</button>' in html
    assert placeholder_html(None, ["Q?"]).startswith("<ul")


def test_the_css_says_who_spoke_with_the_site_title_escaped():
    css = chat_css('Ann\'s "help" </style>')
    assert '[data-testid=user] > .message-content::before { content: "You said\\3a "; }' in css
    said = re.search(r"\[data-testid=bot\] > \.message-content::before \{ content: (\"[^\"]*\"); \}", css)
    assert said and "<" not in said.group(1) and "'" not in said.group(1) and said.group(1).startswith('"Ann\\27 s ')


def test_highlights_are_marked_and_everything_else_stays_escaped():
    text = "Plain <b>one</b>. Best <i>two</i> & more. [1]\n\nLast."
    best = text.index("Best")
    marked = highlighted(text, [Span(best, text.index("[1]") + 3), Span(0, 3), Span(900, 990)])
    assert marked == ("<mark>Pla</mark>in &lt;b&gt;one&lt;/b&gt;. <mark>Best &lt;i&gt;two&lt;/i&gt; &amp; more. [1]</mark>"
                      "\n\nLast.")
    answer = Answer("q", True, text, 0.9, [Citation("hours", "Hours?", "", 0.9, "s")],
                    highlights=[Span(best, text.index("[1]") + 3)], context='Who is <script>"it"</script> for?')
    markdown = answer_markdown(answer)
    assert markdown.startswith('<p class="faqbot-context">About: Who is &lt;script&gt;"it"&lt;/script&gt; for?</p>\n\n')
    assert re.search(r"<mark>Best &lt;i&gt;two&lt;/i&gt; &amp; more\. <a href=\"/source/hours\"[^>]*>\[1\]</a></mark>", markdown)
    # Feedback keeps what the answer says, without the marks or the "About:" line.
    assert message_text(markdown) == text


def test_asking_back_offers_the_two_subjects_without_did_you_mean():
    ask_back = Answer("and how long is it?", False, WHICH_ONE, 0.5,
                      suggestions=[Suggestion("apm-pfq", "What is the APM PFQ?"), Suggestion("apm-pmq", "What is the APM PMQ?")])
    [message] = reply_messages(ask_back)
    assert message.content == WHICH_ONE
    assert [o["value"] for o in message.options] == ["What is the APM PFQ?", "What is the APM PMQ?"]
    declined = Answer("weather?", False, "Sorry, not in the FAQ.", 0.1, suggestions=[Suggestion("x", "<X>?")])
    [message] = reply_messages(declined)
    assert message.content == "Sorry, not in the FAQ.\n\nDid you mean one of these?"


def test_the_conversation_is_read_back_from_the_chat_messages():
    answer, sources = reply_messages(ANSWER)
    part = lambda text: [{"type": "text", "text": text}]  # Gradio 6 keeps content as parts
    messages = [
        {"role": "user", "content": part("When do you open &lt;b&gt;late&lt;/b&gt;?")},
        {"role": "assistant", "content": part(answer.content)},
        {"role": "assistant", "content": part(sources.content)},
        {"role": "user", "content": "what's the weather?"},
        {"role": "assistant", "content": "Sorry, our FAQ doesn't cover that."},
        {"role": "user", "content": "and on Fridays?"},
    ]
    assert conversation(messages) == [
        {"question": "When do you open <b>late</b>?", "answered_with": ["hours", "fridays"]},
        {"question": "what's the weather?", "answered_with": []},
        {"question": "and on Fridays?", "answered_with": []},
    ]
    assert conversation([]) == [] and conversation([{"role": "assistant", "content": "Hello"}]) == []
