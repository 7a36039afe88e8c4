"""`faqbot import` and `faqbot export`: FAQ pages, spreadsheets and other bots' exports into corpus
files that load back unchanged, run through the real CLI in-process.

The pages under tests/data/import/ were written for these tests; URL imports fetch them from a
local http.server on 127.0.0.1 (nothing here reaches the internet).
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.corpus import Entry, load_corpus
from bot.corpus.writer import CorpusWriteError, render
from tests.support import DATA, ROOT, free_port

PAGES = DATA / "import"
# A text scrape shaped like the page the default corpus came from (columns interleaved, question
# lists run together, JSON-LD without a FAQPage, a footer), written for the tests.
SEED_LIKE_SCRAPE = PAGES / "interleaved-scrape.txt"

JSONLD_QUESTIONS = [
    "How long does delivery take?",
    "Do you ship internationally?",
    "How do I return a book?",
    "Can I change my order after placing it?",
    "Do you sell gift cards?",
]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def import_ok(capsys, *argv) -> str:
    code, out, err = run(capsys, "import", *argv)
    assert code == 0, err
    return out


def entries_of(path: Path) -> dict[str, Entry]:
    return {e.question: e for e in load_corpus(path)}


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# --- the must-show: a FAQPage page of N questions -> N entries the bot answers with citations ---------

def test_jsonld_page_of_n_questions_gives_n_entries_that_ask_answers_with_citations(capsys, tmp_path):
    corpus = tmp_path / "shop-faq"
    out = import_ok(capsys, PAGES / "faqpage-jsonld.html", "--out", corpus / "faq.md")
    assert f"{len(JSONLD_QUESTIONS)} question/answer pair(s) from FAQPage JSON-LD -> 5 new" in out
    # the page's visible <details> repeat the FAQ: reported, not imported a second time
    assert "also found 5 pair(s) as <details>/<summary>, not used" in out

    code, listing, _ = run(capsys, "corpus", "list", "--corpus", corpus, "--json")
    assert code == 0
    rows = json.loads(listing)
    assert [r["question"] for r in rows] == JSONLD_QUESTIONS
    assert {r["category"] for r in rows} == {"Delivery and returns FAQ"}
    assert rows[2]["alternates"] == ["Can I send a book back?"]  # schema.org alternateName
    # a saved page's own canonical address makes citations point at the live page
    assert {r["url"] for r in rows} == {"https://books.example.org/help/delivery-faq"}

    code, answer, err = run(capsys, "ask", "how long does shipping take?",
                            "--corpus", corpus, "--index", tmp_path / "index", "--json")
    assert code == 0, err
    answer = json.loads(answer)
    assert answer["answered"] is True
    assert answer["citations"][0]["id"] == "how-long-does-delivery-take"
    assert answer["citations"][0]["url"] == "https://books.example.org/help/delivery-faq"
    assert "[1]" in answer["answer"] and "2 to 4 working days" in answer["answer"]
    # links inside the answer survive, made absolute
    assert "[delivery options](https://books.example.org/help/delivery-options)" in answer["answer"]

    code, answer, err = run(capsys, "ask", "can I send back a book I didn't like?",
                            "--corpus", corpus, "--index", tmp_path / "index", "--json")
    assert code == 0, err
    assert json.loads(answer)["citations"][0]["id"] == "how-do-i-return-a-book"


@pytest.mark.parametrize("fmt", ["md", "jsonl", "csv"])
def test_importing_the_same_sources_twice_changes_nothing(capsys, tmp_path, fmt):
    target = tmp_path / "corpus" / f"faq.{fmt}"
    sources = [PAGES / "faqpage-jsonld.html", PAGES / "faq.csv", PAGES / "qnamaker.tsv", PAGES / "qnabot.json"]
    import_ok(capsys, *sources, "--out", target)
    first = target.read_bytes()
    modified = target.stat().st_mtime_ns
    out = import_ok(capsys, *sources, "--out", target)
    assert target.read_bytes() == first
    assert target.stat().st_mtime_ns == modified  # not even rewritten
    assert "is already up to date: 12 entries, nothing changed" in out
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no temporary files left


# --- HTML structures ---------------------------------------------------------------------------------

def test_details_page_ignores_navigation_cookie_banner_and_footer(capsys, tmp_path):
    target = tmp_path / "garden.md"
    out = import_ok(capsys, PAGES / "details.html", "--out", target)
    entries = entries_of(target)
    assert list(entries) == ["How do I become a member?", "How much does membership cost?", "Opening hours",
                             "Can I have my own plot?", "Do volunteers need experience?"]
    # links kept as Markdown; this saved page has no address, so the relative link stays relative (and says so)
    assert "[membership form](join.html)" in entries["How do I become a member?"].answer
    assert "relative links in answers are kept as they are" in out
    assert entries["How much does membership cost?"].answer.splitlines()[0] == "- Adults: £24 a year"
    assert entries["Can I have my own plot?"].answer == (
        "Yes: raised beds are allocated each March from the waiting list.\n"
        "Email plots@garden.example.org to join it.")
    assert {e.category for e in entries.values()} == {"Membership questions"}
    # the menu, the cookie banner and the footer had <details> too
    assert not {"What's on?", "Why do we use cookies?", "How can I contact you?"} & set(entries)


def test_heading_page_takes_each_question_heading_with_its_content(capsys, tmp_path):
    target = tmp_path / "energy.md"
    out = import_ok(capsys, PAGES / "headings.html", "--out", target)
    entries = entries_of(target)
    assert list(entries) == ["How do I submit a meter reading?", "Why is my bill higher than usual?",
                             "What should I do when I move house?"]
    assert entries["How do I submit a meter reading?"].answer.endswith("Readings sent before the 25th appear on that month's bill.")
    # the answer continues after its wrapper, and keeps its own sub-heading
    assert "Still unsure?\n\nOur billing team" in entries["Why is my bill higher than usual?"].answer
    assert "'Can I keep my tariff at my new address?': no answer text" in out
    assert "'Is the Warm Home Discount available?': the content is a list of links" in out
    assert "'Do you install smart meters?': links to another page" in out
    # aside and footer headings are not questions of this FAQ
    assert "Are you a business customer?" not in entries


def test_microdata_is_preferred_to_the_definition_list_on_the_same_page(capsys, tmp_path):
    target = tmp_path / "library.md"
    out = import_ok(capsys, PAGES / "dl-microdata.html", "--out", target)
    assert list(entries_of(target)) == ["Who can join the library?", "How many books can I borrow?"]
    assert "also found 2 pair(s) as <dl> definition list, not used" in out


def test_definition_list_with_two_wordings_of_one_question(capsys, tmp_path):
    target = tmp_path / "fees.md"
    out = import_ok(capsys, PAGES / "dl.html", "--out", target)
    entries = entries_of(target)
    assert list(entries) == ["What happens if I return a book late?", "How do I replace a lost card?", "Reservations"]
    assert entries["How do I replace a lost card?"].alternates == ["I lost my library card, what now?"]
    assert "'Updated' is not worded as a question" in out  # the page's metadata list


def test_messy_interleaved_page_gives_no_invented_pairs(capsys, tmp_path):
    target = tmp_path / "out" / "messy.md"
    code, out, err = run(capsys, "import", PAGES / "messy.html", "--out", target)
    assert code == 2 and out == ""
    assert err.startswith(f"Error: no question/answer pairs found in {PAGES / 'messy.html'}")
    assert err.count("\n") == 1
    assert not target.parent.exists()


def test_a_raw_page_scrape_gives_no_pairs(capsys, tmp_path):
    for source in (SEED_LIKE_SCRAPE, write(tmp_path / "scrape.html", SEED_LIKE_SCRAPE.read_bytes())):
        code, _, err = run(capsys, "import", source, "--out", tmp_path / "out.md")
        assert code == 2 and "no question/answer pairs found" in err
    assert not (tmp_path / "out.md").exists()


def test_broken_json_ld_falls_back_to_the_visible_faq_and_says_so(capsys, tmp_path):
    page = write(tmp_path / "page.html", """<html><head><title>Help</title>
        <script type="application/ld+json">{"@type": "FAQPage", "mainEntity": [}</script></head>
        <body><details><summary>Is parking free?</summary><p>Yes, for the first two hours.</p></details></body></html>""")
    out = import_ok(capsys, page, "--out", tmp_path / "help.md")
    assert list(entries_of(tmp_path / "help.md")) == ["Is parking free?"]
    assert "JSON-LD (script 1) is not valid JSON" in out and "read from the page's <details>/<summary> instead" in out


# --- broken inputs: one clear line, exit code 2, nothing written ---------------------------------------

@pytest.mark.parametrize("make_source, message", [
    (lambda tmp: PAGES / "invalid-jsonld.html",
     "no question/answer pairs found in {source}: its JSON-LD (script 1) is not valid JSON: Expecting value at line 13"),
    (lambda tmp: PAGES / "empty.html", "no question/answer pairs found in {source} (the page has no text)"),
    (lambda tmp: write(tmp / "blank.html", ""), "no question/answer pairs found in {source} (it is empty)"),
    (lambda tmp: write(tmp / "logo.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"),
     "{source} is not a text or HTML file (it is a PNG image)"),
    (lambda tmp: write(tmp / "data.csv", bytes(range(256)) * 4), "{source} is not a text or HTML file"),
    (lambda tmp: write(tmp / "faq.docx", _zip({"word/document.xml": "<w/>"})), "{source} is not a text or HTML file (it is a Word document"),
    (lambda tmp: tmp / "missing.csv", "{source}: no such file"),
    (lambda tmp: write(tmp / "bad.json", '{"qna": [}'), "{source}: not valid JSON"),
    (lambda tmp: write(tmp / "header.csv", "Question,Reply\nA?,B\n"), "{source}: the header row has no 'answer' column"),
])
def test_broken_inputs_fail_clearly_and_write_nothing(capsys, tmp_path, make_source, message):
    source = make_source(tmp_path)
    target = write(tmp_path / "corpus" / "faq.md", "# Kept\n\n## Old question?\nid: old\n\nOld answer.\n")
    before = target.read_bytes()
    code, out, err = run(capsys, "import", source, "--out", target)
    assert code == 2 and out == ""
    assert err.startswith("Error: " + message.format(source=source)), err
    assert err.endswith("Nothing was written.\n") and err.count("\n") == 1
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["faq.md"]


def test_one_failing_source_stops_the_whole_import(capsys, tmp_path):
    code, _, err = run(capsys, "import", PAGES / "faq.csv", PAGES / "empty.html", tmp_path / "nope.json",
                       "--out", tmp_path / "faq.md")
    assert code == 2
    assert err.splitlines() == [
        f"Error: no question/answer pairs found in {PAGES / 'empty.html'} (the page has no text).",
        f"Error: {tmp_path / 'nope.json'}: no such file.",
        "Nothing was written."]
    assert not (tmp_path / "faq.md").exists()


def test_a_broken_output_file_is_not_overwritten(capsys, tmp_path):
    target = write(tmp_path / "faq.md", "## A question?\n\n")
    code, _, err = run(capsys, "import", PAGES / "faq.csv", "--out", target)
    assert code == 2 and "missing answer" in err and "Nothing was written." in err
    assert target.read_text() == "## A question?\n\n"


# --- spreadsheets and exports -----------------------------------------------------------------------------

def test_csv_with_header_alternates_category_and_a_skipped_row(capsys, tmp_path):
    out = import_ok(capsys, PAGES / "faq.csv", "--out", tmp_path / "faq.md")
    entries = entries_of(tmp_path / "faq.md")
    assert list(entries) == ["How do I reset my password?", "Can I change my username?", "How do I delete my account?"]
    reset = entries["How do I reset my password?"]
    assert reset.alternates == ["I forgot my password", "Can't log in to my account"]
    assert reset.answer == ('Choose "Forgot password" on the sign-in page and follow the link we email you.\n\n'
                            "The link works for one hour.")
    assert reset.category == "Accounts"
    assert "line 6: 'Is there a mobile app?' has no answer" in out
    assert "ignored column(s): 'Notes'" in out


def test_dialogflow_csv_without_header(capsys, tmp_path):
    out = import_ok(capsys, PAGES / "dialogflow.csv", "--out", tmp_path / "faq.md")
    assert "CSV without a header (question, answer) -> 3 new" in out
    entries = entries_of(tmp_path / "faq.md")
    assert entries["Where are you located?"].answer == "12 High Street, Eastfield, next to the railway station."
    assert {e.category for e in entries.values()} == {"Dialogflow"}  # from the file name


def test_qna_maker_tsv_rows_of_one_entry_become_alternates(capsys, tmp_path):
    out = import_ok(capsys, PAGES / "qnamaker.tsv", "--out", tmp_path / "faq.md")
    entries = entries_of(tmp_path / "faq.md")
    invoice = entries["How do I pay my invoice?"]
    assert invoice.alternates == ["How can I settle my bill?"]
    assert invoice.answer == "Pay online by card or by bank transfer.\nInvoices are due within 30 days."
    assert invoice.url == "https://help.example.com/billing" and invoice.category == "billing"
    assert entries["Can I get a paper invoice?"].url == ""  # "Editorial" is not an address
    assert "QnA Maker export" in out and "1 merged" in out


def test_json_exports_with_alternate_questions(capsys, tmp_path):
    import_ok(capsys, PAGES / "qnabot.json", PAGES / "azure-qna.json", "--out", tmp_path / "faq.md")
    entries = entries_of(tmp_path / "faq.md")
    arrival = entries["How long will my order take to arrive?"]
    assert arrival.alternates == ["When will my parcel come?"]
    assert arrival.id == "delivery.time" and arrival.category == "Delivery"   # QnABot's qid and topic
    cancel = entries["How do I cancel my subscription?"]
    assert cancel.alternates == ["Can I stop my plan?"]
    assert cancel.url == "https://help.example.com/subscriptions" and cancel.category == "subscriptions"
    assert cancel.id == "how-do-i-cancel-my-subscription"  # Azure's numeric Id means nothing here


def test_jsonl_xlsx_utf16_tsv_windows_csv_and_semicolons(capsys, tmp_path):
    sources = [
        write(tmp_path / "a.jsonl", json.dumps({"question": "Is there a JSONL question?", "answer": "Yes, one.",
                                                "alternates": "Is JSONL read?|Do you read JSONL?"}) + "\n"),
        write(tmp_path / "b.xlsx", _xlsx([["Question", "Answer"], ["Is Excel supported?", "Yes, the first sheet."]])),
        write(tmp_path / "c.txt", "Question\tAnswer\nIs UTF-16 text read?\tYes, with its byte order mark.\n".encode("utf-16")),
        write(tmp_path / "d.csv", "question,answer\nDo you read café menus?,Oui.\n".encode("cp1252")),
        write(tmp_path / "e.csv", "Question;Answer\nAre semicolons fine?;Yes, Excel in Europe uses them.\n"),
    ]
    out = import_ok(capsys, *sources, "--out", tmp_path / "faq.md")
    entries = entries_of(tmp_path / "faq.md")
    assert entries["Is there a JSONL question?"].alternates == ["Is JSONL read?", "Do you read JSONL?"]
    assert entries["Is Excel supported?"].answer == "Yes, the first sheet."
    assert entries["Is UTF-16 text read?"].answer == "Yes, with its byte order mark."
    assert "Do you read café menus?" in entries and "not UTF-8; read as Windows-1252" in out
    assert entries["Are semicolons fine?"].answer == "Yes, Excel in Europe uses them."
    assert "Excel with a header" in out


def test_an_exported_markdown_corpus_imports_unchanged(capsys, tmp_path):
    exported = tmp_path / "export.md"
    code, _, err = run(capsys, "export", "--format", "md", "--out", exported)
    assert code == 0, err
    import_ok(capsys, exported, "--out", tmp_path / "again" / "faq.md")
    assert (tmp_path / "again" / "faq.md").read_bytes() == exported.read_bytes()


# --- merging --------------------------------------------------------------------------------------------

DURATION_ANSWER = ("Most people finish the APM PFQ in a few weeks of part-time study, while the PMQ usually takes "
                   "two to three months.")


def test_questions_worded_twice_become_one_entry_and_the_summary_says_so(capsys, tmp_path):
    page = write(tmp_path / "apm.html", f"""<html><head><title>APM FAQ</title></head><body>
        <details><summary>How long does an APM qualification take?</summary><p>{DURATION_ANSWER}</p></details>
        <details><summary>What is a PMO?</summary><p>A project management office.</p></details>
        <details><summary>Is APM free?</summary><p>No.</p></details>
        </body></html>""")
    sheet = write(tmp_path / "more.csv", "\n".join([
        "question,answer",
        f'How long is the APM course?,"{DURATION_ANSWER}"',        # another wording, same answer
        "what is a PMO,A team that supports projects.",            # same question, different answer
        "Is PRINCE2 free?,No.",                                    # a short shared answer proves nothing
        "How long is the PFQ exam?,One hour.",                     # looks similar, is a different question
    ]) + "\n")
    out = import_ok(capsys, page, sheet, "--out", tmp_path / "faq.md")
    entries = entries_of(tmp_path / "faq.md")
    assert list(entries) == ["How long does an APM qualification take?", "What is a PMO?", "Is APM free?",
                             "Is PRINCE2 free?", "How long is the PFQ exam?"]
    assert entries["How long does an APM qualification take?"].alternates == ["How long is the APM course?"]
    assert entries["What is a PMO?"].answer == "A project management office."
    assert "'How long is the APM course?' joins 'How long does an APM qualification take?' as an alternate (same answer)" in out
    assert "'what is a PMO' is also in" in out and "with a different answer; kept the first" in out
    assert f"{page}: 3 question/answer pair(s) from <details>/<summary> -> 3 new" in out
    assert f"{sheet}: 4 question/answer pair(s) from CSV with a header -> 2 new, 2 merged" in out


def test_reimport_refreshes_changed_answers_and_keeps_other_entries(capsys, tmp_path):
    target = tmp_path / "faq.md"
    sheet = write(tmp_path / "faq.csv", "question,answer\nWhen do you open?,At 9am.\n")
    import_ok(capsys, sheet, "--out", target)
    with target.open("a", encoding="utf-8") as handle:  # the owner adds an entry and an alternate by hand
        handle.write("\n## Do you have parking?\nid: parking\n\nYes, behind the shop.\n")
    target.write_text(target.read_text().replace("id: when-do-you-open\n", "id: when-do-you-open\nalso: What time do you open?\n"))
    target.write_text("# Faq\n\nHand-written notes about this file.\n\n" + target.read_text().split("\n", 2)[2])
    write(sheet, "question,answer\nWhen do you open?,At 8am from May.\nDo you deliver?,Yes.\n")
    out = import_ok(capsys, sheet, "--out", target)
    assert "1 line(s) of text outside any entry" in out
    entries = entries_of(target)
    assert entries["When do you open?"].answer == "At 8am from May."
    assert entries["When do you open?"].alternates == ["What time do you open?"]
    assert list(entries) == ["When do you open?", "Do you have parking?", "Do you deliver?"]
    assert "updated 'when-do-you-open' (answer)" in out
    assert "3 entries (1 new, 1 updated, 1 kept)" in out


def test_default_output_is_imported_md_in_the_corpus_and_other_files_keep_their_questions(capsys, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "shop.md", "# Shop\n\n## Where are you located?\nid: location\n\nOn the high street.\n")
    out = import_ok(capsys, PAGES / "dialogflow.csv", "--corpus", corpus)
    assert (corpus / "imported.md").is_file()
    assert "'Where are you located?' is already in" in out and "('location')" in out
    assert "`faqbot ask` and `faqbot serve` answer from" in out
    assert [e.id for e in load_corpus(corpus)] == ["what-are-your-opening-hours", "do-you-offer-gift-wrapping", "location"]


def test_markdown_headings_in_an_answer_become_plain_lines(capsys, tmp_path):
    sheet = write(tmp_path / "faq.csv", 'question,answer\nWhat does it cost?,"## Prices\nFrom £5.\n# Note\nVAT included."\n')
    out = import_ok(capsys, sheet, "--out", tmp_path / "faq.md")
    assert entries_of(tmp_path / "faq.md")["What does it cost?"].answer == "Prices\nFrom £5.\nNote\nVAT included."
    assert "2 answer line(s) started with '#'" in out


def test_dry_run_writes_nothing(capsys, tmp_path):
    out = import_ok(capsys, PAGES / "faq.csv", "--out", tmp_path / "faq.md", "--dry-run")
    assert "Would write" in out and "Dry run: nothing was written." in out
    assert not (tmp_path / "faq.md").exists()


def test_category_option_overrides_titles_and_columns(capsys, tmp_path):
    import_ok(capsys, PAGES / "faq.csv", PAGES / "details.html", "--out", tmp_path / "faq.md", "--category", "Help")
    assert {e.category for e in load_corpus(tmp_path / "faq.md")} == {"Help"}


# --- URLs ------------------------------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """The fixture pages, served on 127.0.0.1."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(PAGES)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_proxy_for_this_machine(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def test_import_by_url_resolves_links_against_the_page_address(capsys, tmp_path, site):
    target = tmp_path / "faq.md"
    out = import_ok(capsys, f"{site}/details.html", f"{site}/faq.csv", "--out", target)
    entries = entries_of(target)
    member = entries["How do I become a member?"]
    assert f"[membership form]({site}/join.html)" in member.answer
    assert member.url == f"{site}/details.html#join"  # the <details id="join"> anchor
    assert entries["Opening hours"].url == f"{site}/details.html"
    assert "How do I reset my password?" in entries
    assert "relative links" not in out
    # and again: unchanged
    first = target.read_bytes()
    import_ok(capsys, f"{site}/details.html", f"{site}/faq.csv", "--out", target)
    assert target.read_bytes() == first


@pytest.mark.parametrize("path, reason", [("/missing.html", "HTTP 404 File not found"),
                                          ("/empty.html", None)])
def test_url_errors_name_the_address_and_the_reason(capsys, tmp_path, site, path, reason):
    code, _, err = run(capsys, "import", site + path, "--out", tmp_path / "faq.md")
    assert code == 2
    if reason:
        assert err == f"Error: could not fetch {site}{path}: {reason}. Nothing was written.\n"
    else:
        assert err.startswith(f"Error: no question/answer pairs found in {site}{path}")
    assert not (tmp_path / "faq.md").exists()


def test_unreachable_url_fails_clearly(capsys, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/faq"
    code, _, err = run(capsys, "import", url, "--out", tmp_path / "faq.md")
    assert code == 2
    assert err == f"Error: could not fetch {url}: connection refused (is the server running?). Nothing was written.\n"


def test_a_server_that_never_answers_times_out(capsys, tmp_path):
    with socket.socket() as listener:  # accepts connections (backlog) but never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/faq"
        code, _, err = run(capsys, "import", url, "--out", tmp_path / "faq.md", "--timeout", "0.5")
    assert code == 2
    assert err == f"Error: could not fetch {url}: no answer within 0.5 s (timed out). Nothing was written.\n"


# --- the corpus writer: what it writes loads back identically ------------------------------------------

TRICKY = [
    Entry(id="multi", question="How do I pay?", alternates=["Payment methods?", "Can I pay: by card?"],
          category="Billing", url="https://example.org/pay?x=1#card",
          answer="By card or transfer.\n\nSee [our prices](https://example.org/prices) for more.\n\n- one\n- two"),
    Entry(id="colons", question="What about colons?", category="Billing",
          answer="id: not a field\nalso: not an alternate\nurl: not a url\n#hashtag is fine\n #indented heading too"),
    Entry(id="plain", question="No category?", answer="Plain text, and unicode: café — “quoted” ✓."),
    Entry(id="other-cat", question="Second category?", category="Other", answer="Yes."),
]


@pytest.mark.parametrize("fmt", ["md", "jsonl", "csv"])
def test_writer_round_trip(tmp_path, fmt):
    path = write(tmp_path / f"corpus.{fmt}", render(TRICKY, fmt))
    loaded = load_corpus(path)
    expected = sorted(TRICKY, key=lambda e: e.category != "") if fmt == "md" else TRICKY  # md: uncategorised first
    assert [(e.id, e.question, e.alternates, e.answer, e.category, e.url) for e in loaded] == \
           [(e.id, e.question, e.alternates, e.answer, e.category, e.url) for e in expected]


@pytest.mark.parametrize("answer, fmt, problem", [
    ("Intro\n## Not a question", "md", "would start a new question in Markdown"),
    ("Intro\n# Not a category", "md", "would start a new category in Markdown"),
    ("Line\u2028separator", "md", "line break other than \\n"),
    ("Line\u2028separator", "csv", "line break other than \\n"),
])
def test_writer_refuses_what_a_format_cannot_hold(answer, fmt, problem):
    with pytest.raises(CorpusWriteError) as failure:
        render([Entry(id="x", question="Q?", answer=answer)], fmt)
    assert problem in failure.value.problems[0]


def test_jsonl_holds_everything(tmp_path):
    odd = Entry(id="x", question="Q?", answer="# heading\n## another\nLine\u2028sep\x85arator", alternates=["a|b"],
                metadata={"thread": 7})
    loaded = load_corpus(write(tmp_path / "c.jsonl", render([odd], "jsonl")))
    assert (loaded[0].answer, loaded[0].alternates, loaded[0].metadata) == (odd.answer, odd.alternates, odd.metadata)


# --- export ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["jsonl", "csv", "md"])
def test_export_of_the_default_corpus_reloads_identically(capsys, tmp_path, fmt):
    out_file = tmp_path / f"all.{fmt}"
    code, out, err = run(capsys, "export", "--out", out_file)  # format from the suffix
    default = load_corpus(ROOT / "corpus")
    assert code == 0 and out == ""
    assert f"Exported {len(default)} entries" in err and f"({fmt})" in err
    fields = lambda e: (e.id, e.question, e.alternates, e.answer, e.category, e.url)  # noqa: E731
    assert [fields(e) for e in load_corpus(out_file)] == [fields(e) for e in default]


def test_export_to_standard_output_defaults_to_jsonl(capsys):
    code, out, _ = run(capsys, "export")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == len(load_corpus(ROOT / "corpus"))
    assert list(rows[0]) == ["id", "question", "alternates", "answer", "category", "url", "reviewed"]


def test_export_refuses_what_markdown_cannot_hold(capsys, tmp_path):
    corpus = write(tmp_path / "c.jsonl", json.dumps({"question": "Q?", "answer": "Intro\n## Section", "thread": 1}) + "\n")
    code, out, err = run(capsys, "export", "--corpus", corpus, "--format", "md", "--out", tmp_path / "x.md")
    assert code == 2 and out == ""
    assert "would start a new question in Markdown; use --format jsonl" in err and "Nothing was written." in err
    assert not (tmp_path / "x.md").exists()
    code, _, err = run(capsys, "export", "--corpus", corpus, "--format", "csv")
    assert code == 0 and "extra fields (e.g. 'q': thread)" in err
    code, _, err = run(capsys, "export", "--format", "md", "--out", tmp_path / "x.csv")
    assert code == 2 and "looks like csv, but --format is md" in err


def test_export_keeps_questions_shared_by_entries_when_the_corpus_allows_them(capsys, tmp_path, monkeypatch):
    rows = [{"id": "a1", "question": "How do I undo a commit?", "answer": "git revert."},
            {"id": "a2", "question": "How do I undo a commit?", "answer": "git reset --soft HEAD~1."}]
    corpus = write(tmp_path / "threads.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setenv("FAQBOT_DUPLICATE_QUESTIONS", "allow")
    code, _, err = run(capsys, "export", "--corpus", corpus, "--out", tmp_path / "threads.md")
    assert code == 0, err
    assert [e.id for e in load_corpus(tmp_path / "threads.md", "allow")] == ["a1", "a2"]


# --- helpers ---------------------------------------------------------------------------------------------

def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _xlsx(rows: list[list[str]]) -> bytes:
    """A real Excel workbook with one sheet, written by openpyxl."""
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_byte_order_marks_inside_imported_text_are_dropped(capsys, tmp_path):
    source = write(tmp_path / "faq.csv", "question,answer\n\ufeffIs parking free?,Yes\ufeff for two hours.\n")
    import_ok(capsys, source, "--out", tmp_path / "out.md")
    entry = entries_of(tmp_path / "out.md")["Is parking free?"]
    assert entry.answer == "Yes for two hours."
