"""`faqbot import SOURCE...`: from where an owner keeps their FAQ to a corpus file, in one command.

Every source is read first (``bot.importers``); if any fails, the command says why, one line per
source, and writes nothing. The pairs are then merged with the output file's own entries
(``bot.importers.merge``), rendered and checked by reading them back (``bot.corpus_writer``), and
the file is replaced atomically, only if its bytes change. Importing the same sources again
therefore leaves the file byte-identical.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from bot import paths
from bot.cli.output import EXIT_OK, EXIT_USAGE
from bot.config import Settings
from bot.corpus import CorpusError, Entry, corpus_files, load_file
from bot.corpus.writer import CorpusWriteError, format_for, render, write_atomically
from bot.importers import ImportFailure, read_pairs
from bot.importers.merge import MergeReport, merge

DEFAULT_FILE_NAME = "imported.md"
# Longer lists of merged/skipped items are cut in the summary (the count is still given).
MAX_LISTED = 20


def register(commands) -> None:
    importing = commands.add_parser("import", help="import an FAQ from web pages, spreadsheets or other bots' exports")
    importing.add_argument("sources", nargs="+", metavar="SOURCE",
                           help="a file (HTML, CSV, TSV, XLSX, JSON, JSONL, MD) or an http(s) URL")
    importing.add_argument("--out", metavar="FILE",
                           help="corpus file to write or merge into, .md/.jsonl/.csv (default: imported.md in the "
                                "corpus folder; for an installed package's own FAQ, in the current folder)")
    importing.add_argument("--category", metavar="NAME", help="category of every imported entry (default: page title or file name)")
    importing.add_argument("--timeout", type=float, default=15.0, metavar="SECONDS", help="for fetching URLs (default 15)")
    importing.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
    importing.add_argument("--corpus", metavar="PATH", help="the corpus folder the output belongs to")
    importing.set_defaults(handler=cmd_import)


def cmd_import(args, settings: Settings) -> int:
    try:
        if not args.timeout > 0:
            raise ImportFailure(f"--timeout must be a number of seconds above 0, not {args.timeout:g}")
        out = _output_path(args.out, Path(settings.corpus))
        fmt = format_for(out)
        if fmt is None:
            raise ImportFailure(f"--out {out}: the file must end in .md, .jsonl or .csv (a corpus file)")
        extractions, failures = [], []
        for source in args.sources:
            try:
                extractions.append(read_pairs(source, timeout=args.timeout))
            except ImportFailure as exc:
                failures.append(str(exc))
        if failures:
            if len(failures) == 1:
                print(f"Error: {failures[0]}. Nothing was written.", file=sys.stderr)
            else:
                for failure in failures:
                    print(f"Error: {failure}.", file=sys.stderr)
                print("Nothing was written.", file=sys.stderr)
            return EXIT_USAGE
        existing = _existing_entries(out)
        entries, report = merge(existing, extractions, category=args.category or "",
                                elsewhere=_entries_elsewhere(out, Path(settings.corpus)))
        text = render(entries, fmt)
        if fmt == "md" and out.is_file():
            dropped = _text_outside_entries(out)
            if dropped:
                report.notes.append(f"{out}: {dropped} line(s) of text outside any entry (before a file's or a "
                                    "category's first question) are not kept: the file is rewritten")
    except ImportFailure as exc:
        print(f"Error: {exc}. Nothing was written.", file=sys.stderr)
        return EXIT_USAGE
    except CorpusWriteError as exc:
        print(f"Error: cannot write {out}: {exc.problems[0]}. Nothing was written.", file=sys.stderr)
        return EXIT_USAGE

    changed = not out.is_file() or out.read_bytes() != text.encode("utf-8")
    if changed and not args.dry_run:
        write_atomically(out, text)
    print("\n".join(_summary(out, entries, report, changed, args.dry_run, Path(settings.corpus))))
    return EXIT_OK


def _output_path(out: str | None, corpus: Path) -> Path:
    if out:
        path = Path(out).expanduser()
        if path.is_dir():
            raise ImportFailure(f"--out {out} is a folder; name a file in it, e.g. {path / DEFAULT_FILE_NAME}")
        return path
    if paths.is_packaged_corpus(corpus):
        # The installed package's own FAQ is read-only: start the owner's FAQ where they are.
        return Path.cwd() / DEFAULT_FILE_NAME
    if corpus.is_file():
        return corpus  # a one-file corpus: the import merges into it
    return corpus / DEFAULT_FILE_NAME


def _existing_entries(out: Path) -> list[Entry]:
    """The output file's entries, which the import merges into; a broken file is not overwritten."""
    if not out.exists():
        return []
    entries, problems = load_file(out)
    if problems:
        raise CorpusError(problems)
    return entries


def _text_outside_entries(path: Path) -> int:
    """How many non-blank lines of a Markdown corpus file are neither a category nor inside an
    entry: the loader ignores them, so rewriting the file loses them."""
    count, in_entry = 0, False
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("## "):
            in_entry = True
        elif line.startswith("# "):
            in_entry = False
        elif line.strip() and not in_entry:
            count += 1
    return count


def _entries_elsewhere(out: Path, corpus: Path) -> list[Entry]:
    """Entries of the other files of the corpus the output file belongs to (if it is inside the
    configured corpus folder): their questions and ids must not be imported a second time."""
    if not corpus.is_dir() or not _is_inside(out, corpus):
        return []
    entries = []
    for file in corpus_files(corpus):
        if file.resolve() != out.resolve():
            entries.extend(load_file(file)[0])  # a broken file's problems are `faqbot corpus check`'s business
    return entries


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _summary(out: Path, entries: list[Entry], report: MergeReport, changed: bool, dry_run: bool,
             corpus: Path) -> list[str]:
    lines = []
    for tally in report.sources:
        outcome = _counts(new=tally.new, updated=tally.updated, unchanged=tally.unchanged,
                          merged=tally.merged, skipped=tally.skipped)
        lines.append(f"{tally.source}: {tally.pairs} question/answer pair(s) from {tally.method} -> {outcome}")
    for title, items in (("Merged", report.merged), ("Skipped", report.skipped), ("Notes", report.notes)):
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  - {item}" for item in items[:MAX_LISTED]]
            if len(items) > MAX_LISTED:
                lines.append(f"  ... and {len(items) - MAX_LISTED} more")
    counts = _counts(new=report.new, updated=report.updated, unchanged=report.unchanged, kept=report.kept)
    if dry_run:
        lines.append(f"Would write {out}: {_entries(len(entries))} ({counts}). Dry run: nothing was written.")
    elif changed:
        lines.append(f"Wrote {out}: {_entries(len(entries))} ({counts}).")
    else:
        lines.append(f"{out} is already up to date: {_entries(len(entries))}, nothing changed.")
    if not dry_run:
        lines.append(_next_step(out, corpus, entries[0].question))
    return lines


def _next_step(out: Path, corpus: Path, question: str) -> str:
    if out.resolve() == corpus.resolve() or (corpus.is_dir() and _is_inside(out, corpus)):
        return f"`faqbot ask` and `faqbot serve` answer from {corpus} and rebuild the index on first use."
    where = shlex.quote(str(out))
    return f"Try it: faqbot ask {shlex.quote(question)} --corpus {where}   (or: faqbot serve --corpus {where})"


def _counts(**counts: int) -> str:
    return ", ".join(f"{value} {name}" for name, value in counts.items() if value) or "nothing"


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"
