"""The `faqbot` command line. Each command module registers its commands on the parser; every
command is a thin layer over the library, and the library's errors (bot.errors.UserError) are
turned into messages and exit codes here, in one place."""

from __future__ import annotations

import argparse
import os
import sys

from bot import __version__
from bot.cli import answering, chat, evaluate, export, imports, serving
from bot.cli.output import EXIT_OK, EXIT_USAGE, report_problems, show_log_messages
from bot.config import load_settings
from bot.corpus import CorpusError
from bot.errors import UserError

COMMAND_MODULES = (answering, chat, serving, imports, export, evaluate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faqbot", description="A self-hosted FAQ chatbot: grounded answers with citations, offline.")
    parser.add_argument("--version", action="version", version=f"faqbot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def settings_overrides(args: argparse.Namespace) -> dict:
    """The settings the command line sets (None: not given)."""
    return {
        "corpus": getattr(args, "corpus", None), "index_dir": getattr(args, "index_dir", None),
        "host": getattr(args, "host", None), "port": getattr(args, "port", None) if args.command == "serve" else None,
        "allowed_origins": getattr(args, "allowed_origins", None),
        "watch_corpus": getattr(args, "watch_corpus", None),
    }


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    show_log_messages()
    try:
        settings = load_settings(**settings_overrides(args))
        for warning in settings.warnings:
            print(f"Warning: {warning}", file=sys.stderr)
        return args.handler(args, settings)
    except CorpusError as exc:
        return report_problems(f"The corpus has {len(exc.problems)} problem(s):", exc.problems)
    except UserError as exc:
        print(f"{exc.prefix}{exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into something that stopped reading (`| head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


__all__ = ["EXIT_OK", "EXIT_USAGE", "build_parser", "main"]
