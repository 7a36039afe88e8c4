"""Corpus loading in every format, and every kind of corpus error reported as file:line."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.corpus import CorpusError, load_corpus

MARKDOWN = """# Billing

Text before the first question describes the file.

## How do I pay?
id: pay
also: What payment methods do you take?
also: Can I pay by card?
url: https://example.org/pay

By card or bank transfer.

A second paragraph.

## Do you refund?
id: refund
url: https://example.org/refund

Yes, within 14 days.
"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def problems_of(path):
    with pytest.raises(CorpusError) as caught:
        load_corpus(path)
    return [str(p) for p in caught.value.problems]


def test_markdown_entries_with_alternates_category_and_url(tmp_path):
    entries = load_corpus(write(tmp_path, "billing.md", MARKDOWN))
    assert [e.id for e in entries] == ["pay", "refund"]
    pay = entries[0]
    assert pay.question == "How do I pay?"
    assert pay.alternates == ["What payment methods do you take?", "Can I pay by card?"]
    assert pay.category == "Billing"
    assert pay.url == "https://example.org/pay"
    assert pay.answer == "By card or bank transfer.\n\nA second paragraph."
    assert pay.origin.endswith("billing.md:5")


def test_jsonl_keeps_extra_fields_as_metadata(tmp_path):
    rows = [
        {"id": "a", "question": "Q one?", "answer": "A one.", "alternates": ["Q 1?"], "thread_id": "t7"},
        {"question": "Q two?", "answer": "A two.", "alternates": "Q 2?|Second q?", "category": "C"},
    ]
    path = write(tmp_path, "faq.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    first, second = load_corpus(path)
    assert first.metadata == {"thread_id": "t7"} and first.alternates == ["Q 1?"]
    assert second.id == "q-two" and second.alternates == ["Q 2?", "Second q?"] and second.category == "C"


def test_csv_with_header_and_quoted_commas(tmp_path):
    text = 'id,question,answer,alternates,category,url\nx,"Where, exactly?","Here, there.",Where?|Location?,Places,https://e.org\n'
    (entry,) = load_corpus(write(tmp_path, "faq.csv", text))
    assert (entry.id, entry.question, entry.answer) == ("x", "Where, exactly?", "Here, there.")
    assert entry.alternates == ["Where?", "Location?"]


def test_folder_loads_every_format(tmp_path):
    write(tmp_path, "a.md", MARKDOWN)
    write(tmp_path, "b.jsonl", json.dumps({"question": "Other?", "answer": "Yes."}) + "\n")
    write(tmp_path, "c.csv", "question,answer\nThird?,Indeed.\n")
    assert len(load_corpus(tmp_path)) == 4


@pytest.mark.parametrize("name,content,expected", [
    ("missing.md", "# C\n\n## Question with no answer?\nid: q\nurl: u\n\n## Next?\nid: n\n\nFine.\n",
     "missing.md:3: missing answer"),
    ("missing.jsonl", '{"question": "Q?", "answer": "A."}\n{"question": "Q2?"}\n', "missing.jsonl:2: missing answer"),
    ("missing.csv", "question,answer\nQ?,A.\nQ2?,\n", "missing.csv:3: missing answer"),
    ("dupid.md", "# C\n\n## One?\nid: same\n\nA.\n\n## Two?\nid: same\n\nB.\n", "dupid.md:8: duplicate id 'same'"),
    ("dupq.jsonl", '{"question": "Same?", "answer": "A."}\n{"id": "x", "question": "same ?", "answer": "B."}\n',
     "dupq.jsonl:2: duplicate question"),
    ("dupalt.md", "# C\n\n## One?\nid: a\nalso: Two?\n\nA.\n\n## Two?\nid: b\n\nB.\n", "dupalt.md:9: duplicate question 'Two?'"),
    ("empty.md", "\n\n  \n", "empty.md:1: file is empty"),
    ("columns.csv", "question,answer,anwser\nQ?,A.,x\n", "columns.csv:1: unknown column(s) 'anwser'"),
    ("badjson.jsonl", '{"question": "Q?", "answer": "A."}\n{"question": "Q2?", "answer": \n', "badjson.jsonl:2: not valid JSON"),
    ("field.md", "# C\n\n## Q?\nid: q\nsource: x\n\nA.\n", "field.md:5: unknown field 'source'"),
    ("noentries.md", "# Just a title\n\nSome text but no questions.\n", "noentries.md:1: no FAQ entries found"),
])
def test_corpus_errors_name_file_and_line(tmp_path, name, content, expected):
    problems = problems_of(write(tmp_path, name, content))
    assert any(expected in p for p in problems), problems


def test_bad_encoding_names_the_line(tmp_path):
    path = write(tmp_path, "latin.md", "# C\n\n## Caf\xe9?\nid: c\n\nYes.\n", encoding="latin-1")
    assert problems_of(path) == [f"{path}:3: not valid UTF-8 (byte 0xe9); save the file as UTF-8"]


def test_binary_file_is_refused(tmp_path):
    path = write(tmp_path, "image.md", b"\x00\x01\x02PNG\x00")
    assert "NUL bytes" in problems_of(path)[0]


def test_all_problems_are_reported_at_once(tmp_path):
    write(tmp_path, "a.md", "# C\n\n## One?\nid: a\n\n## Two?\nid: a\n\nB.\n")
    write(tmp_path, "b.csv", "question,answer,colour\n")
    problems = problems_of(tmp_path)
    assert len(problems) == 2 and "a.md:3" in problems[0] and "b.csv:1" in problems[1]


def test_cli_corpus_error_exits_2_and_writes_nothing(tmp_path, capsys):
    corpus = write(tmp_path, "bad.csv", "question,answer\nQ?,\n")
    index_dir = tmp_path / "index"
    assert main(["index", "--corpus", str(corpus), "--index", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert f"{corpus}:2: missing answer" in err and "Nothing was written." in err
    assert not index_dir.exists()


def test_missing_corpus_path_is_a_clear_error(tmp_path, capsys):
    assert main(["corpus", "list", "--corpus", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_a_review_date_is_read_checked_and_written_back(tmp_path):
    from bot.corpus.writer import render

    path = tmp_path / "faq.md"
    path.write_text("# Shop\n\n## When do you open?\nurl: https://shop.example/hours\nreviewed: 2026-11-26\n\nAt nine.\n")
    entry = load_corpus(path)[0]
    assert entry.reviewed == "2026-11-26"
    for fmt in ("md", "jsonl", "csv"):
        copy = tmp_path / f"copy.{fmt}"
        copy.write_text(render([entry], fmt))
        assert load_corpus(copy)[0].reviewed == "2026-11-26", fmt
    path.write_text("# Shop\n\n## When do you open?\nreviewed: 26/11/2026\n\nAt nine.\n")
    with pytest.raises(CorpusError) as error:
        load_corpus(path)
    assert str(error.value.problems[0]) == f"{path}:3: reviewed '26/11/2026' is not a date: write it as 2026-11-26"
