"""The Gradio chat: the full page at / and a compact one for iframes at /embed.

Each reply is the FAQ's text with numbered citations linking to /source/<id>, a collapsible
"Sources" block with snippets, and the related or closest questions as buttons that ask them.
Every text from the corpus or the visitor is HTML-escaped before it reaches the page.

Accessibility (WCAG 2.2 AA; README "Accessibility"): where Gradio's own markup fails and no option
fixes it, the chat uses markup of its own: the Sources block is a <details> element (Gradio's
collapsible message nests a button in a role=button), citations are links named after their source,
and the example questions are a list of buttons in the placeholder (Gradio's sit in a role=list
without list items). static/chat.js asks those, returns focus to the input after each answer,
marks the conversation busy while a reply is produced and drops Gradio's raw-Markdown message
labels; static/chat.css says who spoke and makes focus and the footer link visible.
"""

from __future__ import annotations

import html
import re
from importlib import resources

import gradio as gr

from bot.answer import Answer
from bot.engine import FAQBot, QuestionError
from bot.web.feedback import FeedbackStore

SOURCE_LINK = re.compile(r'href="/source/([^"]+)"')
CITATION_MARK = re.compile(r"\[(\d+)\]")
CITATION_LINK = re.compile(r"<a\b[^>]*>(\[\d+\])</a>")
SOURCES_START = '<details class="faqbot-sources">'
NEW_TAB = "(opens in a new tab)"
# Said before each message to screen readers (chat.css); the bot's name is the site title.
USER_SPEAKER = "You said:"


def source_href(entry_id: str) -> str:
    return f"/source/{html.escape(entry_id, quote=True)}"


def source_link(entry_id: str, text: str, name: str) -> str:
    """A link to a source page, opening in a new tab. ``text`` is markup (already escaped); the
    plain-text ``name`` goes into its title, which chat.js makes its accessible name (Gradio's
    sanitiser drops aria-label)."""
    return (f'<a href="{source_href(entry_id)}" target="_blank" rel="noopener noreferrer" '
            f'title="{html.escape(name, quote=True)}">{text}</a>')


def answer_markdown(answer: Answer) -> str:
    """The answer with each [n] turned into a link to its source page, named after the source."""
    def link(mark: re.Match) -> str:
        number = int(mark.group(1))
        if not 1 <= number <= len(answer.citations):
            return mark.group(0)
        citation = answer.citations[number - 1]
        return source_link(citation.id, mark.group(0), f"Source {number}: {citation.question} {NEW_TAB}")

    return CITATION_MARK.sub(link, html.escape(answer.answer, quote=False))


def sources_html(answer: Answer) -> str:
    """The sources as a <details> block: a native disclosure, named and expandable by keyboard."""
    items = "".join(f"<li>{source_link(c.id, html.escape(c.question, quote=False), f'{c.question} {NEW_TAB}')}"
                    f"<br>{html.escape(c.snippet, quote=False)}</li>" for c in answer.citations)
    return f"{SOURCES_START}<summary>Sources ({len(answer.citations)})</summary><ol>{items}</ol></details>"


def reply_messages(answer: Answer) -> list[gr.ChatMessage]:
    options = [{"label": s.question, "value": s.question} for s in answer.suggestions]
    if not answer.answered:
        text = html.escape(answer.answer, quote=False)
        if options:
            text += "\n\nDid you mean one of these?"
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
    """The plain text of a chat message's content, as the visitor saw it: "[1]" for a citation."""
    return html.unescape(CITATION_LINK.sub(r"\1", message_markup(content)))


class EscapingChatInterface(gr.ChatInterface):
    """A ChatInterface that shows what the visitor typed as text: markup in a question is
    escaped before it enters the chat history, rather than rendered (even sanitised). Its page
    always has a title and an <h1>; ``hide_title`` keeps the heading for screen readers only
    (the widget's panel shows the title in its own header)."""

    def __init__(self, *args, hide_title: bool = False, **kwargs):
        self.hide_title = hide_title
        super().__init__(*args, **kwargs)

    def _render_header(self):
        classes = ["faqbot-visually-hidden"] if self.hide_title else []
        title = html.escape(self.title or "", quote=False)
        gr.Markdown(f"<h1 style='text-align: center; margin-bottom: 1rem'>{title}</h1>", elem_id="faqbot-title",
                    elem_classes=classes)
        if self.description:
            gr.Markdown(self.description)

    def _message_as_message_dict(self, message, role):
        if role == "user" and isinstance(message, str):
            message = html.escape(message, quote=False)
        return super()._message_as_message_dict(message, role)


def default_examples(bot: FAQBot, count: int = 4) -> list[str]:
    """One question from each of the first categories: a fair first view of any corpus."""
    seen, examples = set(), []
    for entry in bot.index.entries:
        if entry.category not in seen:
            seen.add(entry.category)
            examples.append(entry.question)
        if len(examples) == count:
            break
    return examples


def placeholder_html(intro: str | None, examples: list[str]) -> str:
    """What the empty chat shows: an introduction and the example questions as a list of buttons
    (chat.js asks the one pressed: its value, as Gradio's sanitiser drops data- attributes)."""
    items = "".join(f'<li><button type="button" class="example" value="{html.escape(q, quote=True)}">'
                    f"{html.escape(q, quote=False)}</button></li>" for q in examples)
    intro_html = f"<p>{html.escape(intro, quote=False)}</p>" if intro else ""
    return f'{intro_html}<ul class="faqbot-examples">{items}</ul>'


def chat_css(title: str) -> str:
    """chat.css, with the bot's name (the site title) said before each of its messages."""
    def css_string(text: str) -> str:  # every character but letters, digits and spaces as a CSS escape
        return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"'

    said = "#faqbot-chat .message:first-child > [data-testid={}] > .message-content::before {{ content: {}; }}\n"
    speakers = said.format("user", css_string(USER_SPEAKER)) + said.format("bot", css_string(f"{title} said:"))
    return resources.files("bot.web").joinpath("static", "chat.css").read_text(encoding="utf-8") + speakers


def build_chat(bot: FAQBot, feedback: FeedbackStore | None, title: str, compact: bool = False) -> gr.Blocks:
    # A reply is shown whole, in one update: revealed word by word it would be inserted into the
    # conversation's live region several times, and read out as often.
    def respond(message: str, history: list, request: gr.Request):
        try:
            answer = bot.ask(message)
        except QuestionError as exc:
            return html.escape(str(exc), quote=False)
        if not answer.answered and feedback is not None:
            feedback.record_unanswered(answer.question, answer.answer, [s.id for s in answer.suggestions],
                                       channel="embed" if compact else "web")
        return reply_messages(answer)

    def on_vote(history: list, vote: gr.LikeData):
        if feedback is None or not isinstance(vote.index, int):
            return
        # The question is the last visitor message before the rated reply; the reply runs until
        # the next visitor message (answer + sources block).
        start = vote.index
        while start > 0 and history[start - 1].get("role") != "user":
            start -= 1
        end = vote.index
        while end + 1 < len(history) and history[end + 1].get("role") != "user":
            end += 1
        question = message_text(history[start - 1]["content"]) if start > 0 else ""
        reply = history[start:end + 1]
        answer_text = "\n\n".join(message_text(m.get("content")) for m in reply if not is_sources(m))
        feedback.record_vote("up" if vote.liked else "down", question, answer_text, cited_ids_in(reply),
                             channel="embed" if compact else "web")

    intro = None if compact else "Ask a question about our FAQ. Answers come only from the FAQ, with sources."
    chatbot = gr.Chatbot(
        label=title, show_label=not compact, sanitize_html=True, feedback_options=("Like", "Dislike"), layout="bubble",
        placeholder=placeholder_html(intro, default_examples(bot, 3 if compact else 4)),
        # No "share" button: it has no accessible name (and shares to Hugging Face, off this machine).
        buttons=["copy", "copy_all"],
        # In the widget's iframe the chat fills the frame, leaving room for the input row.
        height="calc(100vh - 96px)" if compact else 560, elem_id="faqbot-chat",
    )
    chat = EscapingChatInterface(
        respond,
        chatbot=chatbot,
        textbox=gr.Textbox(label="Your question", placeholder="Type your question...", show_label=False,
                           max_length=bot.settings.max_question_chars, submit_btn="Send", elem_id="faqbot-input"),
        title=title,
        hide_title=compact,
        description=None if compact else "Answers come only from our FAQ, each with its source. "
                                         "If the FAQ does not cover a question, the assistant says so.",
        api_name="chat",
        fill_height=True,
        autofocus=not compact,
    )
    with chat:
        chatbot.like(on_vote, [chatbot], None, api_visibility="undocumented")
    # Queued events (asking, voting) only through the queue, where the rate limit applies: Gradio
    # would otherwise also run them from a direct POST to run/predict.
    chat.queue(api_open=False)
    return chat
