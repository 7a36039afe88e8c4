"""Commands that serve: `serve` (the chat, API and widget), `demo-site` (a host page with the
widget on it) and `feedback export` (what visitors said)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bot.cli.answering import add_corpus_options
from bot.cli.output import EXIT_OK
from bot.config import Settings, load_settings


def register(commands) -> None:
    serve = commands.add_parser("serve", help="start the chat web UI, the JSON API and the widget")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 7860)")
    serve.add_argument("--allow-origin", dest="allowed_origins", action="append", metavar="ORIGIN",
                       help="a site (e.g. https://www.example.org) allowed to embed the chat and call the API; "
                            "repeatable (default: this machine only)")
    serve.add_argument("--watch", dest="watch_corpus", action="store_const", const=True,
                       help="rebuild and answer from the corpus as soon as a file of it changes")
    serve.add_argument("--workers", type=int, metavar="N",
                       help="worker processes sharing the port; 0: one per CPU core (default 1)")
    add_corpus_options(serve)
    serve.set_defaults(handler=cmd_serve)

    feedback = commands.add_parser("feedback", help="visitors' votes and unanswered questions")
    actions = feedback.add_subparsers(dest="feedback_command", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="export the corpus's feedback as CSV or JSONL")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    add_corpus_options(export, index=False)
    export.set_defaults(handler=cmd_feedback_export)

    demo = commands.add_parser("demo-site", help="serve a sample web page with the chat widget on it")
    demo.add_argument("--port", type=int, default=8000, help="port of the demo page (default 8000)")
    demo.add_argument("--bot", metavar="URL", help="where the bot runs (default http://127.0.0.1:7860)")
    demo.set_defaults(handler=cmd_demo_site)


def cmd_serve(args, settings: Settings) -> int:
    from bot.cli import settings_overrides

    overrides = settings_overrides(args) | {"workers": args.workers}
    settings = settings.replace(workers=args.workers)
    limit_native_threads(settings.workers)
    from bot.web.server import serve  # after the limit: numpy and FAISS read it when first loaded

    def ready(url: str) -> None:
        print(f"Chat ready at {url}  (Ctrl+C to stop)", flush=True)

    # On reload the server re-reads the config file and environment, with this command's flags on top.
    serve(settings, settings_source=lambda: load_settings(**overrides), ready=ready)
    return EXIT_OK


# Environment variables through which OpenBLAS, MKL and OpenMP (FAISS) size their thread pools.
NATIVE_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_native_threads(workers: int) -> None:
    """Give each worker process its share of the cores for numpy's and FAISS's thread pools.
    Left to themselves, every worker's pools use every core, and two workers on two cores then
    serve fewer questions a second than one (measured: 0.89x; with one thread each, 1.78x).
    A value the user set is kept."""
    cores = os.cpu_count() or 1
    count = cores if workers == 0 else max(workers, 1)
    if count > 1:
        for variable in NATIVE_THREAD_VARIABLES:
            os.environ.setdefault(variable, str(max(1, cores // count)))


def cmd_feedback_export(args, settings: Settings) -> int:
    from bot.web.feedback import open_feedback_store

    # PostgreSQL when database_url is set (the rows of this corpus only), else this corpus's SQLite file.
    store = open_feedback_store(settings.database_url, settings.data_path, settings.corpus_key)
    if args.out:
        with open(Path(args.out).expanduser(), "w", encoding="utf-8", newline="") as out:
            count = store.write(out, args.format)
        print(f"Exported {count} feedback rows to {args.out}.", file=sys.stderr)
    else:
        store.write(sys.stdout, args.format)
    return EXIT_OK


def cmd_demo_site(args, settings: Settings) -> int:
    from bot.web.demo_site import demo_server

    bot_url = args.bot or f"http://127.0.0.1:{settings.port}"
    server = demo_server(args.port, bot_url)
    print(f"Demo page with the widget at http://127.0.0.1:{args.port}/ (bot at {bot_url}). "
          f"Start the bot with: faqbot serve --allow-origin http://127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return EXIT_OK
