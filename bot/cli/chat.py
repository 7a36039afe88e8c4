"""`faqbot chat`: a conversation with the FAQ in a terminal, for people who live in one.

Each line is a question; the conversation so far travels with it, so "does it pay well?" after
"What does a programme manager do?" is read as the follow-up it is (bot/conversation.py). The
line editor is readline's (arrow keys, history with up/down, Ctrl+R) where Python has it. An
empty line is ignored; "/new" forgets the conversation; "/quit", Ctrl+D or Ctrl+C ends it.
A numbered suggestion is asked by typing its number.
"""

from __future__ import annotations

import sys

from bot.cli.answering import add_corpus_options
from bot.cli.output import EXIT_OK
from bot.config import Settings

PROMPT = "you> "
REMEMBERED_TURNS = 20


def register(commands) -> None:
    chat = commands.add_parser("chat", help="talk with the FAQ in the terminal (follow-up questions understood)")
    chat.add_argument("--top-k", type=int, metavar="N", help="most sources/suggestions per answer (default 3)")
    add_corpus_options(chat)
    chat.set_defaults(handler=cmd_chat)


def cmd_chat(args, settings: Settings) -> int:
    from bot.engine import FAQBot, QuestionError

    try:
        import readline  # noqa: F401  (importing it gives input() line editing and history)
    except ImportError:  # not on every platform; plain input() still works
        pass
    bot = FAQBot.open(settings)
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"Ask {settings.site_title} anything from the FAQ ({len(bot.index.entries)} entries). "
              "/new starts over, /quit or Ctrl+D ends.")
    history: list[dict] = []
    offered: list[str] = []
    while True:
        try:
            line = input(PROMPT if interactive else "").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return EXIT_OK
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return EXIT_OK
        if line == "/new":
            history, offered = [], []
            print("(A new conversation.)")
            continue
        if line.isdigit() and 1 <= int(line) <= len(offered):
            line = offered[int(line) - 1]
            print(f"({line})")
        try:
            answer = bot.ask(line, top_k=args.top_k, history=history)
        except QuestionError as exc:
            print(exc)
            continue
        offered = [s.question for s in answer.suggestions]
        print(numbered(answer.to_text(), offered) + "\n")
        history = (history + [{"question": line, "answered_with": [c.id for c in answer.citations][:1]}])
        history = history[-REMEMBERED_TURNS:]


def numbered(text: str, offered: list[str]) -> str:
    """The answer text with its suggestions numbered, so that typing the number asks one."""
    for number, question in enumerate(offered, 1):
        text = text.replace(f"  - {question}", f"  {number}. {question}", 1)
    return text
