"""What the chat shows, as markup (bot/web/chat_ui.py draws it): an answer with its highlighted
sentences and numbered citations linking to /source/<id>, the earlier subject a follow-up was read
with, a <details> block of sources, the example questions; and back from the chat's messages, the
conversation so far (the visitor's questions and the entries that answered them), which the
browser sends with every question: the server keeps none.

Every text from the corpus or the visitor is HTML-escaped before it reaches the page; the only
markup is the handful of tags written here.
"""

from __future__ import annotations

import html
import re

import gradio as gr

from bot.answer import WHICH_ONE, Answer
from bot.highlight import Span

SOURCE_LINK = re.compile(r'href="/source/([^"]+)"')
CITATION_MARK = re.compile(r"\[(\d+)\]")
CITATION_LINK = re.compile(r"<a\b[^>]*>(\[\d+\])</a>")
CONTEXT_START = '<p class="faqbot-context">'
CONTEXT_LINE = re.compile(re.escape(CONTEXT_START) + r".*?</p>\s*", re.DOTALL)
TAG = re.compile(r"<[^>]+>")
SOURCES_START = '<details class="faqbot-sources">'
NEW_TAB = "(opens in a new tab)"
DID_YOU_MEAN = "Did you mean one of these?"
# Earlier turns sent with a question (the API takes 20; the engine reads the last two), and the
# entries named per turn (the API takes 5).
HISTORY_TURNS = 20
IDS_PER_TURN = 5


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def source_href(entry_id: str) -> str:
    return f"/source/{html.escape(entry_id, quote=True)}"


def source_link(entry_id: str, text: str, name: str) -> str:
    """A link to a source page, opening in a new tab. ``text`` is markup (already escaped); the
    plain-text ``name`` goes into its title, which chat.js makes its accessible name (Gradio's
    sanitiser drops aria-label)."""
    return (f'<a href="{source_href(entry_id)}" target="_blank" rel="noopener noreferrer" '
            f'title="{html.escape(name, quote=True)}">{text}</a>')


def highlighted(text: str, spans: list[Span]) -> str:
    """``text`` escaped, with each span (the sentences that best answer the question) in <mark>."""
    out, at = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        start, end = max(span.start, at), min(span.end, len(text))
        if start >= end:
            continue
        out += [escape(text[at:start]), "<mark>", escape(text[start:end]), "</mark>"]
        at = end
    out.append(escape(text[at:]))
    return "".join(out)


def context_line(answer: Answer) -> str:
    """For a question read as a follow-up: a small line naming the earlier subject."""
    if not answer.context:
        return ""
    return f"{CONTEXT_START}About: {escape(answer.context)}</p>\n\n"


def answer_markdown(answer: Answer) -> str:
    """The answer, its highlights marked, each [n] a link to its source page named after it."""
    def link(mark: re.Match) -> str:
        number = int(mark.group(1))
        if not 1 <= number <= len(answer.citations):
            return mark.group(0)
        citation = answer.citations[number - 1]
        return source_link(citation.id, mark.group(0), f"Source {number}: {citation.question} {NEW_TAB}")

    return context_line(answer) + CITATION_MARK.sub(link, highlighted(answer.answer, answer.highlights))


def sources_html(answer: Answer) -> str:
    """The sources as a <details> block: a native disclosure, named and expandable by keyboard."""
    items = "".join(f"<li>{source_link(c.id, escape(c.question), f'{c.question} {NEW_TAB}')}"
                    f"<br>{escape(c.snippet)}</li>" for c in answer.citations)
    return f"{SOURCES_START}<summary>Sources ({len(answer.citations)})</summary><ol>{items}</ol></details>"


def reply_messages(answer: Answer) -> list[gr.ChatMessage]:
    """The bot's reply: the answer, then its sources carrying the related questions as buttons; or
    the reason it does not answer, with the closest questions (or, asking back which of two
    subjects was meant, the two) as buttons."""
    options = [{"label": s.question, "value": s.question} for s in answer.suggestions]
    if not answer.answered:
        text = context_line(answer) + escape(answer.answer)
        if options and answer.answer != WHICH_ONE:  # asking back already asks which
            text += f"\n\n{DID_YOU_MEAN}"
        return [gr.ChatMessage(content=text, options=options)]
    return [gr.ChatMessage(content=answer_markdown(answer)),
            gr.ChatMessage(content=sources_html(answer), options=options)]


def is_sources(message: dict) -> bool:
    return message_markup(message.get("content")).startswith(SOURCES_START)


def message_markup(content) -> str:
    """The markup of a chat message's content (Gradio 6 keeps it as a list of parts)."""
    parts = content if isinstance(content, list) else [content]
    return "\n".join(p.get("text", "") if isinstance(p, dict) else str(p or "") for p in parts)


def cited_ids_in(messages: list[dict]) -> list[str]:
    """The ids of the entries the messages link to, each once, in order."""
    found = (html.unescape(i) for m in messages for i in SOURCE_LINK.findall(message_markup(m.get("content"))))
    return list(dict.fromkeys(found))


def message_text(content) -> str:
    """The plain text of a chat message's content, as the visitor saw it: "[1]" for a citation,
    without the highlighting or the "About:" line."""
    markup = CONTEXT_LINE.sub("", CITATION_LINK.sub(r"\1", message_markup(content)))
    return html.unescape(TAG.sub("", markup))


def conversation(messages: list[dict]) -> list[dict]:
    """The visitor's questions in the chat's messages, oldest first, each with the ids of the
    entries its reply cited: {"question": str, "answered_with": [ids]} (FAQBot.ask's history)."""
    turns: list[dict] = []
    for message in messages:
        if message.get("role") == "user":
            turns.append({"question": message_text(message.get("content")), "answered_with": []})
        elif turns:
            cited = turns[-1]["answered_with"]
            cited += [i for i in cited_ids_in([message]) if i not in cited]
            del cited[IDS_PER_TURN:]
    return turns[-HISTORY_TURNS:]


def placeholder_html(intro: str | None, examples: list[str]) -> str:
    """What the empty chat shows: an introduction and the example questions as a list of buttons
    (chat.js asks the one pressed: its value, as Gradio's sanitiser drops data- attributes)."""
    items = "".join(f'<li><button type="button" class="example" value="{html.escape(q, quote=True)}">'
                    f"{escape(q)}</button></li>" for q in examples)
    intro_html = f"<p>{escape(intro)}</p>" if intro else ""
    return f'{intro_html}<ul class="faqbot-examples">{items}</ul>'
