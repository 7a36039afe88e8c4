"""The Gradio chat: the full page at / and a compact one for iframes at /embed.

Each reply is the FAQ's text with numbered citations linking to /source/<id>, a collapsible
"Sources" block with snippets, and the related or closest questions as buttons that ask them.
Every text from the corpus or the visitor is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html
import re
import time

import gradio as gr

from bot.answer import Answer
from bot.engine import FAQBot, QuestionError
from bot.web.feedback import FeedbackStore

# Replies are revealed in a few steps, so a long answer reads as it arrives rather than
# appearing as a wall of text; the whole reveal stays well under half a second.
STREAM_STEPS = 6
STREAM_PAUSE = 0.03
SOURCE_LINK = re.compile(r"\(/source/([^)\s]+)\)")


def source_href(entry_id: str) -> str:
    return f"/source/{html.escape(entry_id, quote=True)}"


def answer_markdown(answer: Answer) -> str:
    """The answer with each [n] turned into a link to its source page."""
    text = html.escape(answer.answer, quote=False)
    for number, citation in enumerate(answer.citations, 1):
        text = text.replace(f"[{number}]", f"[[{number}]]({source_href(citation.id)})")
    return text


def sources_markdown(answer: Answer) -> str:
    lines = []
    for number, c in enumerate(answer.citations, 1):
        lines.append(f"{number}. [{html.escape(c.question, quote=False)}]({source_href(c.id)})  \n"
                     f"   {html.escape(c.snippet, quote=False)}")
    return "\n".join(lines)


def reply_messages(answer: Answer) -> list[gr.ChatMessage]:
    options = [{"label": s.question, "value": s.question} for s in answer.suggestions]
    if not answer.answered:
        text = html.escape(answer.answer, quote=False)
        if options:
            text += "\n\nDid you mean one of these?"
        return [gr.ChatMessage(content=text, options=options)]
    messages = [gr.ChatMessage(content=answer_markdown(answer))]
    messages.append(gr.ChatMessage(content=sources_markdown(answer),
                                   metadata={"title": f"Sources ({len(answer.citations)})", "status": "done"},
                                   options=options))
    return messages


def cited_ids_in(messages: list[dict]) -> list[str]:
    ids: list[str] = []
    for message in messages:
        content = message.get("content")
        for part in content if isinstance(content, list) else [content]:
            text = part.get("text", "") if isinstance(part, dict) else str(part or "")
            ids += [i for i in SOURCE_LINK.findall(text) if i not in ids]
    return ids


def message_text(content) -> str:
    """The plain text of a chat message's content (Gradio 6 keeps it as a list of parts)."""
    parts = content if isinstance(content, list) else [content]
    text = "\n".join(p.get("text", "") if isinstance(p, dict) else str(p or "") for p in parts)
    # Stored feedback should read as the visitor saw it: "[1]" rather than the link markup.
    return html.unescape(re.sub(r"\[\[(\d+)\]\]\([^)]*\)", r"[\1]", text))


class EscapingChatInterface(gr.ChatInterface):
    """A ChatInterface that shows what the visitor typed as text: markup in a question is
    escaped before it enters the chat history, rather than rendered (even sanitised)."""

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


def build_chat(bot: FAQBot, feedback: FeedbackStore | None, title: str, compact: bool = False) -> gr.Blocks:
    def respond(message: str, history: list, request: gr.Request):
        try:
            answer = bot.ask(message)
        except QuestionError as exc:
            yield html.escape(str(exc), quote=False)
            return
        if not answer.answered and feedback is not None:
            feedback.record_unanswered(answer.question, answer.answer, [s.id for s in answer.suggestions],
                                       channel="embed" if compact else "web")
        final = reply_messages(answer)
        words = final[0].content.split(" ")
        step = max(1, len(words) // STREAM_STEPS)
        for end in range(step, len(words), step):
            yield [gr.ChatMessage(content=" ".join(words[:end]))]
            time.sleep(STREAM_PAUSE)
        yield final

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
        answer_text = "\n\n".join(message_text(m.get("content")) for m in reply
                                   if not (m.get("metadata") or {}).get("title"))
        feedback.record_vote("up" if vote.liked else "down", question, answer_text, cited_ids_in(reply),
                             channel="embed" if compact else "web")

    chatbot = gr.Chatbot(
        label=title, show_label=not compact, sanitize_html=True, feedback_options=("Like", "Dislike"), layout="bubble",
        placeholder=None if compact else "Ask a question about our FAQ. Answers come only from the FAQ, with sources.",
        # In the widget's iframe the chat fills the frame, leaving room for the input row.
        height="calc(100vh - 96px)" if compact else 560, elem_id="faqbot-chat",
    )
    chat = EscapingChatInterface(
        respond,
        chatbot=chatbot,
        textbox=gr.Textbox(placeholder="Type your question...", show_label=False, max_length=bot.settings.max_question_chars,
                           submit_btn=True, elem_id="faqbot-input"),
        title=None if compact else title,
        description=None if compact else "Answers come only from our FAQ, each with its source. "
                                         "If the FAQ does not cover a question, the assistant says so.",
        examples=default_examples(bot, 3 if compact else 4),
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
