"""Markdown that an author could mean as a heading is never read as answer text: each shape is a
file:line problem with a hint, and the writer refuses to produce it (so a round trip always loads)."""

from __future__ import annotations

import json

import pytest

from bot.corpus import CorpusError, Entry, load_corpus
from bot.corpus.writer import CorpusWriteError, render
from tests.support import ROOT

HEAD = "# Billing\n\n## How do I pay?\nid: pay\n\nBy card.\n"


def problems_of(path):
    with pytest.raises(CorpusError) as caught:
        load_corpus(path)
    return [str(p) for p in caught.value.problems]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("tail, line, expected", [
    ("##No space?\nid: ns\n\nA.\n", 7, "heading needs a space after '##': write '## No space?'"),
    ("##\tTabbed?\n\nA.\n", 7, "write '## Tabbed?'"),
    ("##\n", 7, "empty heading '##'"),
    ("#\n", 7, "empty heading '#'"),
    ("#\tRefunds\n", 7, "heading needs a space after '#': write '# Refunds'"),
    ("### Card fees\nNone.\n", 7, "'###' heading in an answer: answers cannot contain headings"),
    ("#### Deep\n", 7, "start a new question with '## Deep'"),
    ("Card fees\n=========\n", 8, "setext heading ('Card fees' underlined with '===')"),
    ("Card fees\n---\n", 8, "write '## Card fees' for a new question, or leave a blank line above '---'"),
    ("Card fees\n  -\n", 8, "setext heading"),
])
def test_heading_shapes_in_an_answer_are_problems_not_text(tmp_path, tail, line, expected):
    path = write(tmp_path, "faq.md", HEAD + tail)
    problems = problems_of(path)
    assert any(p.startswith(f"{path}:{line}: ") and expected in p for p in problems), problems


def test_an_unspaced_question_before_any_entry_is_reported_not_dropped(tmp_path):
    path = write(tmp_path, "faq.md", "# Billing\n\n##How do I pay?\nid: pay\n\nBy card.\n")
    assert f"{path}:3: heading needs a space after '##': write '## How do I pay?'" in problems_of(path)


@pytest.mark.parametrize("answer", [
    "Total\n\n---\n\nA rule after a blank line.",
    "Total\n\n=====",
    "#hashtag and #1 are text\n #indented too",
    "- a list\n- of items\n\n1. and numbers",
    "a -- b == c",
])
def test_text_that_is_not_a_heading_still_loads(tmp_path, answer):
    (entry,) = load_corpus(write(tmp_path, "faq.md", f"## Q?\nid: q\n\n{answer}\n"))
    assert entry.answer == answer


def test_a_bom_at_the_start_is_accepted(tmp_path):
    (entry,) = load_corpus(write(tmp_path, "faq.md", "\ufeff## Q?\nid: q\n\nA.\n"))
    assert entry.question == "Q?"


@pytest.mark.parametrize("name, text, line", [
    ("joined.md", "## Q?\nid: q\n\nA.\n\ufeff# Second file\n\n## R?\n\nB.\n", 5),
    ("inline.md", "## Q?\nid: q\n\nA \ufeffword.\n", 4),
    ("rows.jsonl", '{"question": "Q?", "answer": "A."}\n\ufeff{"question": "R?", "answer": "B."}\n', 2),
    ("rows.csv", "question,answer\nQ?,A.\nR?,B\ufeff.\n", 3),
])
def test_a_bom_anywhere_else_names_its_line(tmp_path, name, text, line):
    path = write(tmp_path, name, text)
    problems = problems_of(path)
    # The stray mark is the only problem: the rest of the file is read as if it were not there.
    assert problems == [f"{path}:{line}: stray byte-order mark (U+FEFF), usually left by joining two files: "
                        "delete it (it is invisible in most editors)"]


def test_the_default_corpus_loads_unchanged():
    entries = load_corpus(ROOT / "corpus")
    assert len(entries) == 58


@pytest.mark.parametrize("answer, kind", [
    ("Intro\n##No space", "a heading without a space after '##'"),
    ("Intro\n##", "an empty heading"),
    ("Intro\n#\tTabbed", "a heading without a space after '#'"),
    ("Intro\n### Sub", "a '###' heading"),
    ("Sub\n===", "a setext heading"),
    ("Intro\nSub\n-", "a setext heading"),
])
def test_writer_refuses_answer_lines_markdown_reads_as_headings(answer, kind):
    with pytest.raises(CorpusWriteError) as failure:
        render([Entry(id="x", question="Q?", answer=answer)], "md")
    assert f"would be read as {kind} in Markdown; use --format jsonl" in failure.value.problems[0]


@pytest.mark.parametrize("fmt", ["md", "csv"])
def test_writer_refuses_a_bom_where_the_format_cannot_hold_it(fmt):
    with pytest.raises(CorpusWriteError) as failure:
        render([Entry(id="x", question="Q?", answer="A \ufeffword.")], fmt)
    assert "byte-order mark (U+FEFF)" in failure.value.problems[0] and "use --format jsonl" in failure.value.problems[0]


def test_jsonl_keeps_a_bom_escaped(tmp_path):
    entry = Entry(id="x", question="Q\ufeff?", answer="A \ufeffword.")
    text = render([entry], "jsonl")
    assert "\ufeff" not in text and json.loads(text)["answer"] == entry.answer
    (loaded,) = load_corpus(write(tmp_path, "c.jsonl", text))
    assert (loaded.question, loaded.answer) == (entry.question, entry.answer)


def test_writer_output_with_rules_and_lists_reads_back(tmp_path):
    entry = Entry(id="x", question="Q?", answer="Total\n\n---\n\n- a\n- b\n\n#1 priority")
    (loaded,) = load_corpus(write(tmp_path, "c.md", render([entry], "md")))
    assert loaded.answer == entry.answer
