"""`faqbot export`: the whole corpus as one JSONL, CSV or Markdown file, for another tool or as a
backup. What the chosen format cannot hold is refused (or, for extra JSONL fields, dropped with a
warning); the output is checked by reading it back before it is written."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.cli.output import EXIT_OK, EXIT_USAGE, report_problems
from bot.config import Settings
from bot.corpus import load_corpus
from bot.corpus.writer import CorpusWriteError, check, format_for, render, write_atomically


def register(commands) -> None:
    exporting = commands.add_parser("export", help="write the corpus as one JSONL, CSV or Markdown file")
    exporting.add_argument("--format", choices=("jsonl", "csv", "md"), help="default: from --out's suffix, else jsonl")
    exporting.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    exporting.add_argument("--corpus", metavar="PATH", help="corpus file or folder (default: the project's own FAQ)")
    exporting.set_defaults(handler=cmd_export)


def cmd_export(args, settings: Settings) -> int:
    out = Path(args.out).expanduser() if args.out else None
    fmt = args.format or (out and format_for(out)) or "jsonl"
    if out is not None and format_for(out) not in (None, fmt):
        print(f"Error: --out {out} looks like {format_for(out)}, but --format is {fmt}. Nothing was written.",
              file=sys.stderr)
        return EXIT_USAGE
    entries = load_corpus(settings.corpus, settings.duplicate_questions)
    try:
        text = render(entries, fmt, settings.duplicate_questions)
    except CorpusWriteError as exc:
        return report_problems(f"Cannot export {settings.corpus} as {fmt}; {len(exc.problems)} problem(s):",
                               exc.problems)
    for warning in check(entries, fmt)[1]:
        print(f"Note: {warning}", file=sys.stderr)
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomically(out, text)
        print(f"Exported {len(entries)} entries from {settings.corpus} to {out} ({fmt}).", file=sys.stderr)
    return EXIT_OK
