"""Read FAQ question/answer pairs from where owners keep them.

``read_pairs(source)`` opens one file or http(s) URL, works out what it is (from the server's
content type, the file name, and a look at the content), and hands it to the importer for that
kind of document:

- web pages (HTML): :mod:`bot.importers.html_page`
- spreadsheets (CSV, TSV, Excel .xlsx): :mod:`bot.importers.tabular`, :mod:`bot.importers.xlsx`
- other bots' exports (JSON, JSONL): :mod:`bot.importers.json_export`
- a faqbot Markdown corpus file: :func:`bot.corpus.load_file`

The result is an :class:`Extraction`; anything that stops a source from being imported is an
:class:`ImportFailure` whose one-line message names the source.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.importers.pairs import Extraction, ImportFailure, Pair
from bot.importers.source import Source, binary_kind, declared_kind, decode_text, open_source, sniffed_kind

__all__ = ["Extraction", "ImportFailure", "Pair", "read_pairs"]

DEFAULT_TIMEOUT = 15.0


def read_pairs(spec: str, timeout: float = DEFAULT_TIMEOUT) -> Extraction:
    source = open_source(spec, timeout)
    extraction = _extract(source)
    if not extraction.pairs:
        reason = extraction.skipped[0] if extraction.skipped else "nothing that looks like a question with an answer"
        raise ImportFailure(f"no question/answer pairs found in {source.name} ({reason})")
    if not extraction.category:
        extraction.category = _name_category(source)
    return extraction


def _extract(source: Source) -> Extraction:
    if not source.data.strip():
        raise ImportFailure(f"no question/answer pairs found in {source.name} (it is empty)")
    binary = binary_kind(source)
    if binary is not None:
        raise ImportFailure(f"{source.name} is not a text or HTML file (it is {binary})")
    kind = declared_kind(source)
    if kind == "xlsx" or source.data.startswith(b"PK\x03\x04"):
        from bot.importers.tabular import extract_from_rows
        from bot.importers.xlsx import read_xlsx_rows

        return extract_from_rows(read_xlsx_rows(source.data, source.name), source.name, "Excel")

    text, encoding_note = decode_text(source)
    if not text.strip():
        raise ImportFailure(f"no question/answer pairs found in {source.name} (it is empty)")
    if kind in (None, "text"):
        kind = sniffed_kind(text) or kind
    extraction = _extract_text(source, text, kind)
    if encoding_note:
        extraction.notes.append(encoding_note)
    return extraction


def _extract_text(source: Source, text: str, kind: str | None) -> Extraction:
    name = source.name
    if kind == "html":
        from bot.importers.html_page import extract_from_html

        return extract_from_html(text, name, source.url)
    if kind in ("json", "jsonl"):
        from bot.importers.json_export import extract_from_json, extract_from_jsonl

        return extract_from_json(text, name) if kind == "json" else extract_from_jsonl(text, name)
    if kind in ("csv", "tsv"):
        from bot.importers.tabular import extract_from_delimited

        return extract_from_delimited(text, name, "\t" if kind == "tsv" else None)
    if kind == "markdown":
        return _extract_corpus_markdown(text, name)
    if kind == "text":
        raise ImportFailure(f"no question/answer pairs found in {name} (a plain text file must have one "
                            "question<TAB>answer per line)")
    raise ImportFailure(f"{name}: not a format faqbot can import (HTML, CSV, TSV, Excel .xlsx, JSON, JSONL, "
                        "or a faqbot Markdown corpus file)")


def _extract_corpus_markdown(text: str, name: str) -> Extraction:
    """A faqbot Markdown corpus file (e.g. one written by `faqbot export --format md`)."""
    from bot.corpus import load_file

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "import.md"
        copy.write_text(text, encoding="utf-8")
        entries, problems = load_file(copy)
    if problems:
        problem = problems[0]
        raise ImportFailure(f"{name}:{problem.line}: {problem.message} (Markdown is read as a faqbot corpus file)")
    pairs = [Pair(e.question, e.answer, alternates=e.alternates, url=e.url, category=e.category, id=e.id,
                  reviewed=e.reviewed, where=f"line {e.origin.rsplit(':', 1)[1]}") for e in entries]
    return Extraction(name, "faqbot Markdown corpus", pairs)


def _name_category(source: Source) -> str:
    """A category from the source's name when it has no title: "delivery-faq.csv" -> "Delivery faq"."""
    from urllib.parse import urlparse

    stem = Path(urlparse(source.url).path if source.url else source.name).stem
    words = " ".join(stem.replace("_", " ").replace("-", " ").split())
    if not words and source.url:
        words = urlparse(source.url).netloc
    return words[:1].upper() + words[1:]
