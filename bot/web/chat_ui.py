"""The Gradio chat: the full page at / and a compact one for iframes at /embed.

Each reply is the FAQ's text, its best-answering sentences highlighted, with numbered citations
linking to /source/<id>, a collapsible "Sources" block with snippets, and the related or closest
questions as buttons that ask them (bot/web/chat_markup.py writes them, escaping every text from
the corpus or the visitor).

A conversation: each question is asked with the visitor's earlier questions and the entries that
answered them, read from the chat's own messages as the browser sends them with the question (no
conversation is kept on the server), so a follow-up ("how is it assessed?") is read in context.

The page is built from Gradio's Chatbot and Textbox rather than its ChatInterface, which adds what
a FAQ bot does not need (retry and undo buttons, a label repeating the title, a question box that
loses its placeholder) and keeps the conversation in server-side state.

Accessibility (WCAG 2.2 AA; README "Accessibility"): where Gradio's own markup fails and no option
fixes it, the chat uses markup of its own: the Sources block is a <details> element (Gradio's
collapsible message nests a button in a role=button), citations are links named after their source,
and the example questions are a list of buttons in the placeholder (Gradio's sit in a role=list
without list items). static/chat.js asks those, returns focus to the input after each answer,
marks the conversation busy while a reply is produced, keeps the visitor's question in view above
its answer and drops Gradio's raw-Markdown message labels; static/chat.css says who spoke and
makes focus visible.
"""

from __future__ import annotations

import logging
from importlib import resources

import gradio as gr

from bot.engine import FAQBot, QuestionError
from bot.web.chat_markup import (
    cited_ids_in,
    conversation,
    escape,
    is_sources,
    message_text,
    placeholder_html,
    reply_messages,
)
from bot.web.feedback import FeedbackStore

log = logging.getLogger("faqbot")
# Said before each message to screen readers (chat.css); the bot's name is the site title.
USER_SPEAKER = "You said:"


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


def chat_css(title: str) -> str:
    """chat.css, with the bot's name (the site title) said before each of its messages."""
    def css_string(text: str) -> str:  # every character but letters, digits and spaces as a CSS escape
        return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"'

    said = "#faqbot-chat .message:first-child > [data-testid={}] > .message-content::before {{ content: {}; }}\n"
    speakers = said.format("user", css_string(USER_SPEAKER)) + said.format("bot", css_string(f"{title} said:"))
    return resources.files("bot.web").joinpath("static", "chat.css").read_text(encoding="utf-8") + speakers


def header(title: str, description: str | None, hide_title: bool) -> None:
    """The page's <h1> (always there: ``hide_title`` keeps it for screen readers only, as the
    widget's panel shows the title in its own header) and its description."""
    gr.Markdown(f"<h1 style='text-align: center; margin-bottom: 1rem'>{escape(title)}</h1>", elem_id="faqbot-title",
                elem_classes=["faqbot-visually-hidden"] if hide_title else [])
    if description:
        gr.Markdown(description)


def with_question(text: str, messages: list) -> list:
    """The conversation with the visitor's question added, as text: markup in it is escaped
    before it enters the chat, rather than rendered (even sanitised)."""
    return list(messages or []) + [{"role": "user", "content": escape(text)}]


def ui_step(fn):
    """Marks an event function that only changes the page (neither asks nor stores anything)."""
    fn.faqbot_ui_step = True
    return fn


def ui_steps(chat: gr.Blocks) -> frozenset[int]:
    """The ids of ``chat``'s events run by ui_step functions: the only page events that
    security.py lets through without counting them against the client's rate limit."""
    return frozenset(i for i, event in chat.fns.items() if getattr(event.fn, "faqbot_ui_step", False))


def build_chat(bot: FAQBot, feedback: FeedbackStore | None, title: str, compact: bool = False) -> gr.Blocks:
    channel = "embed" if compact else "web"

    def reply_to(messages: list) -> list:
        """The bot's reply to the last question of ``messages``, read with the earlier ones."""
        turns = conversation(messages)
        question = turns.pop()["question"]
        try:
            answer = bot.ask(question, history=turns or None)
        except QuestionError as exc:
            return [gr.ChatMessage(content=escape(str(exc)))]
        if not answer.answered and feedback is not None:
            try:
                feedback.record_unanswered(answer.question, answer.answer, [s.id for s in answer.suggestions],
                                           channel=channel)
            except Exception as exc:  # noqa: BLE001 (any store: the visitor still gets the reply)
                log.warning(f"Unanswered question not stored: {exc}")
        return reply_messages(answer)

    # Three steps per question: the question shows at once and the box is disabled, the reply
    # is produced and shown whole, in one update (revealed word by word it would be inserted into
    # the conversation's live region several times, and read out as often), then the box is
    # usable again. The first and last are steps of the page alone (ui_step): the rate limit
    # counts the reply, not them.
    @ui_step
    def take_question(text: str, messages: list):
        if not (text or "").strip():
            return gr.skip(), gr.skip()
        return gr.Textbox(value="", interactive=False), with_question(text, messages)

    @ui_step
    def take_option(messages: list, option: gr.SelectData):
        return gr.Textbox(interactive=False), with_question(str(option.value), messages)

    @ui_step
    def enable_box():
        return gr.Textbox(interactive=True)

    def respond(messages: list):
        messages = list(messages or [])
        if not messages or messages[-1].get("role") != "user":
            return gr.skip()
        return messages + reply_to(messages)

    def api_chat(text: str, messages: list | None = None):
        """Gradio's own API (/chat): the reply's messages to a question and the conversation before it."""
        return [{"role": "assistant", "content": m.content, "options": m.options}
                for m in reply_to(with_question(text or "", messages))]

    def on_vote(messages: list, vote: gr.LikeData):
        if feedback is None or not isinstance(vote.index, int):
            return
        # The question is the last visitor message before the rated reply; the reply runs until
        # the next visitor message (answer + sources block).
        start = vote.index
        while start > 0 and messages[start - 1].get("role") != "user":
            start -= 1
        end = vote.index
        while end + 1 < len(messages) and messages[end + 1].get("role") != "user":
            end += 1
        question = message_text(messages[start - 1]["content"]) if start > 0 else ""
        reply = messages[start:end + 1]
        answer_text = "\n\n".join(message_text(m.get("content")) for m in reply if not is_sources(m))
        feedback.record_vote("up" if vote.liked else "down", question, answer_text, cited_ids_in(reply),
                             channel=channel)

    intro = None if compact else "Ask a question about our FAQ. Answers come only from the FAQ, with sources."
    description = None if compact else ("Answers come only from our FAQ, each with its source. "
                                        "If the FAQ does not cover a question, the assistant says so.")
    with gr.Blocks(title=title, fill_height=True) as chat:
        header(title, description, hide_title=compact)
        chatbot = gr.Chatbot(
            label=title, show_label=False, sanitize_html=True, feedback_options=("Like", "Dislike"),
            layout="bubble", placeholder=placeholder_html(intro, default_examples(bot, 3 if compact else 4)),
            # No "share" button: it has no accessible name (and shares to Hugging Face, off this
            # machine). chat.js scrolls: the visitor's question stays in view above its answer.
            buttons=["copy", "copy_all"], autoscroll=False, scale=1,
            # In the widget's iframe the chat fills the frame, leaving room for the input row.
            height="calc(100vh - 96px)" if compact else 560, elem_id="faqbot-chat",
            elem_classes=["faqbot-compact"] if compact else [],
        )
        textbox = gr.Textbox(label="Your question", placeholder="Type your question...", show_label=False,
                             max_length=bot.settings.max_question_chars, submit_btn="Send", elem_id="faqbot-input",
                             autofocus=not compact, lines=1, max_lines=5,
                             elem_classes=["faqbot-compact"] if compact else [])
        if not compact:
            gr.Markdown('<p class="faqbot-footer"><a href="/docs">API documentation</a></p>')
        api_button, api_reply = gr.Button("API", visible=False), gr.JSON(visible=False)

        # Every event of the page runs unqueued: one plain request (POST gradio_api/run/predict)
        # that carries all it needs (the conversation is in the chat's messages), so any replica
        # behind a load balancer can answer it. Gradio's queue would split an event into a join
        # and an event stream that only the process holding the event can serve.
        page = {"queue": False, "api_visibility": "undocumented"}
        ready = {"fn": enable_box, "outputs": [textbox], **page}
        textbox.submit(take_question, [textbox, chatbot], [textbox, chatbot], **page) \
            .then(respond, [chatbot], [chatbot], **page).then(**ready)
        chatbot.option_select(take_option, [chatbot], [textbox, chatbot], **page) \
            .then(respond, [chatbot], [chatbot], **page).then(**ready)
        chatbot.like(on_vote, [chatbot], None, **page)
        # Gradio's own API, for its client (gradio_client), which always goes through the queue.
        api_button.click(api_chat, [textbox, chatbot], [api_reply], api_name="chat")
    # The queued event (/chat) only through the queue, where the rate limit applies: Gradio
    # would otherwise also run it from a direct POST to run/predict.
    chat.queue(api_open=False)
    return chat
