"""The `faqbot` command line. Every command is a thin layer over bot.engine."""

from __future__ import annotations

import argparse
import json
import sys

from bot import offline  # noqa: F401  (before any library that might phone home)
from bot import __version__
from bot.config import ConfigError, load_settings
from bot.corpus import CorpusError, load_corpus

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", metavar="PATH", help="corpus file or folder (default: corpus/)")
    parser.add_argument("--index", dest="index_dir", metavar="DIR",
                        help="index folder (default: index/<corpus name>)")


def _lazy(module: str, function: str):
    """A handler imported only when its command runs, so `faqbot --help` stays fast."""

    def handler(args, settings):
        import importlib

        return getattr(importlib.import_module(module), function)(args, settings)

    return handler


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faqbot", description="A self-hosted FAQ chatbot: grounded answers with citations, offline.")
    parser.add_argument("--version", action="version", version=f"faqbot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ask = commands.add_parser("ask", help="answer one question from the FAQ")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--top-k", type=int, metavar="N", help="most sources/suggestions to return (default 3)")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    _common(ask)
    ask.set_defaults(handler=cmd_ask)

    index = commands.add_parser("index", help="build the search index from the corpus")
    _common(index)
    index.set_defaults(handler=cmd_index)

    corpus = commands.add_parser("corpus", help="inspect the corpus")
    corpus_commands = corpus.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    listing = corpus_commands.add_parser("list", help="list every entry")
    listing.add_argument("--json", action="store_true", help="print the entries as JSON")
    _common(listing)
    listing.set_defaults(handler=cmd_corpus)
    check = corpus_commands.add_parser("check", help="validate the corpus without building anything")
    _common(check)
    check.set_defaults(handler=cmd_corpus)

    serve = commands.add_parser("serve", help="start the chat web UI")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 7860)")
    serve.add_argument("--allow-origin", dest="allowed_origins", action="append", metavar="ORIGIN",
                       help="a site (e.g. https://www.example.org) allowed to embed the chat and call the API; "
                            "repeatable (default: this machine only)")
    _common(serve)
    serve.set_defaults(handler=cmd_serve)

    feedback = commands.add_parser("feedback", help="visitors' votes and unanswered questions")
    feedback_commands = feedback.add_subparsers(dest="feedback_command", metavar="ACTION", required=True)
    export_feedback = feedback_commands.add_parser("export", help="export feedback as CSV or JSONL")
    export_feedback.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export_feedback.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    export_feedback.set_defaults(handler=_lazy("bot.feedback", "cmd_feedback_export"))

    demo = commands.add_parser("demo-site", help="serve a sample web page with the chat widget on it")
    demo.add_argument("--port", type=int, default=8000, help="port of the demo page (default 8000)")
    demo.add_argument("--bot", metavar="URL", help="where the bot runs (default http://127.0.0.1:7860)")
    demo.set_defaults(handler=_lazy("bot.demo_site", "cmd_demo_site"))

    importing = commands.add_parser("import", help="import an FAQ from web pages, spreadsheets or other bots' exports")
    importing.add_argument("sources", nargs="+", metavar="SOURCE",
                           help="a file (HTML, CSV, TSV, XLSX, JSON, JSONL, MD) or an http(s) URL")
    importing.add_argument("--out", metavar="FILE",
                           help="corpus file to write or merge into, .md/.jsonl/.csv (default: imported.md in the corpus folder)")
    importing.add_argument("--category", metavar="NAME", help="category of every imported entry (default: page title or file name)")
    importing.add_argument("--timeout", type=float, default=15.0, metavar="SECONDS", help="for fetching URLs (default 15)")
    importing.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
    importing.add_argument("--corpus", metavar="PATH", help="the corpus folder the output belongs to (default: corpus/)")
    importing.set_defaults(handler=_lazy("bot.importer", "cmd_import"))
    exporting = commands.add_parser("export", help="write the corpus as one JSONL, CSV or Markdown file")
    exporting.add_argument("--format", choices=("jsonl", "csv", "md"), help="default: from --out's suffix, else jsonl")
    exporting.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    exporting.add_argument("--corpus", metavar="PATH", help="corpus file or folder (default: corpus/)")
    exporting.set_defaults(handler=_lazy("bot.exporter", "cmd_export"))

    # Commands of other modules are registered below, each with set_defaults(handler=_lazy(...)).
    from bot.evaluate import add_arguments as add_eval_arguments

    evaluate = commands.add_parser("eval", help="answer a file of test questions and report how well the bot did")
    add_eval_arguments(evaluate, calibrate=False)
    _common(evaluate)
    evaluate.set_defaults(handler=_lazy("bot.evaluate", "cmd_eval"))
    calibrate = commands.add_parser("calibrate", help="choose the answer threshold from labeled questions "
                                                      "and write it to the config file")
    add_eval_arguments(calibrate, calibrate=True)
    _common(calibrate)
    calibrate.set_defaults(handler=_lazy("bot.evaluate", "cmd_calibrate"))
    return parser


def report_problems(header: str, problems: list) -> int:
    """Print every problem under ``header`` on stderr; the caller wrote nothing. Returns the exit code."""
    print(header, file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    print("Nothing was written.", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(
            corpus=getattr(args, "corpus", None), index_dir=getattr(args, "index_dir", None),
            host=getattr(args, "host", None), port=getattr(args, "port", None) if args.command == "serve" else None,
            allowed_origins=getattr(args, "allowed_origins", None),
        )
        return args.handler(args, settings)
    except CorpusError as exc:
        return report_problems(f"The corpus has {len(exc.problems)} problem(s):", exc.problems)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into something that stopped reading (`| head`): not an error worth a traceback.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # known failures below carry messages written for the user
        from bot.embedder import ModelError
        from bot.engine import QuestionError
        from bot.index import IndexProblem

        if isinstance(exc, QuestionError):
            print(str(exc), file=sys.stderr)
            return EXIT_USAGE
        if isinstance(exc, (IndexProblem, ModelError)):
            print(f"Error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        raise


def cmd_ask(args, settings) -> int:
    from bot.engine import FAQBot, clean_question

    clean_question(args.question, settings.max_question_chars)  # fail fast, before loading the model
    answer = FAQBot.open(settings).ask(args.question, top_k=args.top_k)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(answer.to_text())
    return EXIT_OK


def cmd_index(args, settings) -> int:
    import time

    from bot.corpus import corpus_fingerprint
    from bot.embedder import Embedder
    from bot.index import build_index

    entries = load_corpus(settings.corpus, settings.duplicate_questions)  # validate before loading the model
    started = time.perf_counter()
    build = build_index(entries, settings, Embedder(settings.model), corpus_fingerprint(settings.corpus))
    manifest = json.loads((build / "manifest.json").read_text())
    elapsed = time.perf_counter() - started
    print(f"Indexed {manifest['entries']} entries ({manifest['views']} searchable views) "
          f"from {settings.corpus} into {settings.index_path} in {elapsed:.1f} s.")
    return EXIT_OK


def cmd_corpus(args, settings) -> int:
    entries = load_corpus(settings.corpus, settings.duplicate_questions)
    if args.corpus_command == "check":
        print(f"{settings.corpus}: {len(entries)} entries, no problems.")
        return EXIT_OK
    rows = [{"id": e.id, "question": e.question, "alternates": e.alternates, "category": e.category, "url": e.url}
            for e in entries]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    width = max(len(r["id"]) for r in rows)
    for row in rows:
        extra = f"  (+{len(row['alternates'])} alternates)" if row["alternates"] else ""
        print(f"{row['id']:<{width}}  {row['question']}{extra}")
    print(f"\n{len(rows)} entries in {len({r['category'] for r in rows})} categories.")
    return EXIT_OK


def cmd_serve(args, settings) -> int:
    from bot.server import serve

    serve(settings)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
