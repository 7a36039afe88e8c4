"""The chat's own markup (bot/web/chat_ui.py), where Gradio's fails accessibility: citations named
after their source, the Sources block as a <details> disclosure, the example questions as a list
of buttons, and who said each message in chat.css. Everything from the corpus stays escaped."""

from __future__ import annotations

import re

from bot.answer import Answer, Citation, Suggestion
from bot.web.chat_ui import (
    answer_markdown,
    chat_css,
    cited_ids_in,
    is_sources,
    message_text,
    placeholder_html,
    reply_messages,
    sources_html,
)

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
