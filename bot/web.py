"""The web server: a Gradio chat page and a JSON API on one FastAPI app, both over FAQBot.ask."""

from __future__ import annotations

import html

from bot import offline  # noqa: F401  (Gradio reads its analytics switch at import time)

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from bot import __version__
from bot.answer import Answer
from bot.engine import FAQBot, QuestionError

EXAMPLE_QUESTIONS = [
    "Can you self study for APM?",
    "Is PMO an admin job?",
    "What does a program manager do that project managers don't do?",
]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    top_k: StrictInt | None = Field(default=None, ge=1, le=20)


def render_markdown(answer: Answer) -> str:
    """The chat rendering of an answer. Corpus and question text are HTML-escaped: an FAQ entry
    or a visitor's message containing markup is shown as text, never executed."""
    parts = [html.escape(answer.answer)]
    if answer.citations:
        sources = []
        for number, c in enumerate(answer.citations, 1):
            title = html.escape(c.question)
            link = f"[{title}]({html.escape(c.url, quote=True)})" if c.url.startswith(("http://", "https://")) else title
            sources.append(f"{number}. {link}")
        parts.append("**Sources**\n\n" + "\n".join(sources))
    if answer.suggestions:
        label = "Related questions" if answer.answered else "Closest questions in the FAQ"
        parts.append(f"**{label}**\n\n" + "\n".join(f"- {html.escape(s.question)}" for s in answer.suggestions))
    return "\n\n".join(parts)


def build_chat(bot: FAQBot) -> gr.Blocks:
    def reply(message: str, history: list) -> str:
        try:
            return render_markdown(bot.ask(message))
        except QuestionError as exc:
            return html.escape(str(exc))

    return gr.ChatInterface(
        reply,
        chatbot=gr.Chatbot(sanitize_html=True, label="FAQ assistant"),
        title="FAQ assistant",
        description="Answers come only from our FAQ, with their sources. If the FAQ doesn't cover a question, "
                    "the assistant says so.",
        examples=EXAMPLE_QUESTIONS,
        api_name="chat",
    )


def build_app(bot: FAQBot) -> FastAPI:
    app = FastAPI(title="faqbot", version=__version__,
                  description="Grounded answers from a FAQ, with citations.")

    @app.post("/api/ask")
    def api_ask(request: AskRequest):
        try:
            return bot.ask(request.question, top_k=request.top_k).to_json()
        except QuestionError as exc:
            return JSONResponse(status_code=400, content={"error": str(exc)})

    @app.get("/api/health")
    def api_health():
        manifest = bot.index.manifest
        return {"status": "ok", "version": __version__, "entries": manifest["entries"],
                "index_built_at": manifest["built_at"], "model": manifest["model"]}

    return gr.mount_gradio_app(app, build_chat(bot), path="/", footer_links=["api"])


def serve(settings) -> None:
    import uvicorn

    bot = FAQBot.open(settings)
    app = build_app(bot)
    print(f"Chat ready at http://{settings.host}:{settings.port}/  (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
