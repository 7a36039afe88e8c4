"""The faqbot command line, run in-process (main(argv)) and once as a real console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.support import ROOT, seed_questions

JSON_KEYS = {"question", "answered", "answer", "confidence", "citations", "suggestions", "highlights",
             "interpreted_as", "context"}
CITATION_KEYS = {"id", "question", "url", "score", "snippet"}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cli-index"))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ask_json(capsys, index_dir, question):
    code, out, err = run(capsys, "ask", question, "--json", "--index", index_dir)
    assert code == 0, err
    return json.loads(out), err


def test_first_ask_builds_the_missing_index_and_says_so(capsys, index_dir):
    shutil.rmtree(index_dir)
    data, err = ask_json(capsys, index_dir, "Can you self study for APM?")
    assert "No index at" in err and "Indexed 58 entries" in err
    assert (Path(index_dir) / "current").is_file()
    # the second ask finds the index fresh and says nothing
    _, err = ask_json(capsys, index_dir, "Can you self study for APM?")
    assert err == ""


def test_json_contract_for_an_answered_question(capsys, index_dir):
    data, _ = ask_json(capsys, index_dir, "Can you self study for APM?")
    assert set(data) == JSON_KEYS
    assert data["answered"] is True and 0.5 < data["confidence"] <= 1
    assert data["citations"][0]["id"] == "apm-self-study"
    for citation in data["citations"]:
        assert set(citation) == CITATION_KEYS and isinstance(citation["score"], float)
    assert "[1]" in data["answer"]
    assert all(set(s) == {"id", "question"} for s in data["suggestions"])


def test_json_contract_for_a_question_the_faq_does_not_answer(capsys, index_dir):
    data, _ = ask_json(capsys, index_dir, "Is CAPM worth it?")
    assert set(data) == JSON_KEYS
    assert data["answered"] is False and data["citations"] == [] and 0 <= data["confidence"] < 0.5
    assert len(data["suggestions"]) >= 1 and all(set(s) == {"id", "question"} for s in data["suggestions"])


def test_ask_with_history_reads_a_follow_up_in_its_context(capsys, index_dir):
    code, out, err = run(capsys, "ask", "how is it assessed?", "--history", "What is the weather like?",
                         "--history", "Who is the APM PPQ for?", "--json", "--index", index_dir)
    assert code == 0, err
    data = json.loads(out)
    assert data["answered"] and data["citations"][0]["id"] == "apm-ppq"
    assert data["context"] == "Who is the APM PPQ for?" and data["interpreted_as"].endswith("how is it assessed?")
    code, out, _ = run(capsys, "ask", "how is it assessed?", "--history", "Who is the APM PPQ for?",
                       "--index", index_dir)
    assert out.startswith("(Read as a follow-up to \u201cWho is the APM PPQ for?\u201d.)")


def test_short_visitor_wording_is_answered(capsys, index_dir):
    data, _ = ask_json(capsys, index_dir, "pmo salary?")
    assert data["answered"] and data["citations"][0]["id"] == "pmo-pay"


def test_plain_text_answer_lists_sources(capsys, index_dir):
    code, out, _ = run(capsys, "ask", "can I study for APM on my own?", "--index", index_dir)
    assert code == 0
    assert "[1]" in out and "Sources:" in out and "[1] Can you self study for APM?" in out


@pytest.mark.parametrize("question,message", [("", "Please type a question."), ("   ", "Please type a question."),
                                              ("why " * 600, "please keep it under 1000")])
def test_unusable_questions_exit_2_without_traceback(capsys, index_dir, question, message):
    code, out, err = run(capsys, "ask", question, "--index", index_dir)
    assert code == 2 and message in err and "Traceback" not in err and out == ""


def test_corpus_list_json_covers_every_seed_question(capsys):
    code, out, _ = run(capsys, "corpus", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert all(set(r) == {"id", "question", "alternates", "category", "url"} for r in rows)
    asked = {q for r in rows for q in [r["question"], *r["alternates"]]}
    listed = [q for section in seed_questions().values() for q in section]
    assert [q for q in listed if q not in asked] == []
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["category"] and r["url"].startswith("https://") for r in rows)


def test_corpus_list_and_check_in_plain_text(capsys):
    code, out, _ = run(capsys, "corpus", "list")
    assert code == 0 and "apm-self-study" in out and "entries in 4 categories" in out
    code, out, _ = run(capsys, "corpus", "check")
    assert code == 0 and "no problems" in out


def test_index_command_reports_counts(capsys, tmp_path):
    code, out, _ = run(capsys, "index", "--index", str(tmp_path / "idx"))
    assert code == 0 and "Indexed 58 entries" in out and "searchable views" in out


def test_settings_from_environment_and_config_file(capsys, tmp_path, monkeypatch, index_dir):
    corpus = tmp_path / "tiny.csv"
    corpus.write_text("id,question,answer\nhours,When are you open?,From nine to five.\n")
    config = tmp_path / "faqbot.toml"
    config.write_text('corpus = "tiny.csv"\nindex_dir = "idx"\ntop_k = 2\n')
    monkeypatch.setenv("FAQBOT_CONFIG", str(config))
    code, out, _ = run(capsys, "corpus", "list", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["hours"]
    monkeypatch.setenv("FAQBOT_TOP_K", "not a number")
    code, _, err = run(capsys, "corpus", "list")
    assert code == 2 and "FAQBOT_TOP_K" in err
    config.write_text("colour = 'blue'\n")
    monkeypatch.delenv("FAQBOT_TOP_K")
    code, _, err = run(capsys, "corpus", "list")
    assert code == 2 and "unknown setting 'colour'" in err


def test_console_script_and_module_entry_points():
    console_script = Path(sys.executable).parent / "faqbot"
    for command in ([str(console_script)], [sys.executable, "-m", "bot"]):
        result = subprocess.run([*command, "--version"], capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0 and result.stdout.startswith("faqbot "), result.stderr


def test_serve_on_a_busy_port_fails_at_once_in_one_line(tmp_path):
    import socket
    import time

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "bot", "serve", "--port", str(port), "--index", str(tmp_path / "i")],
                                capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 1 and "Chat ready" not in result.stdout
    assert result.stderr == (f"Error: port {port} on 127.0.0.1 is already in use; stop what runs there or choose "
                             "another with --port\n")
    assert time.monotonic() - started < 10  # before the model or the index is loaded
    assert not (tmp_path / "i").exists()


def test_info_names_every_place_in_use(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FAQBOT_HOME", str(tmp_path / "home"))
    code, out, _ = run(capsys, "info", "--json")
    facts = json.loads(out)
    assert code == 0 and facts["version"] == __import__("bot").__version__
    assert facts["running from"] == f"a checkout at {ROOT}"
    assert facts["corpus"] == f"{ROOT / 'corpus'} (the default FAQ)"
    assert facts["index"].startswith(f"{tmp_path / 'home' / 'index' / 'default'}: not built yet")
    assert facts["data"].startswith(str(tmp_path / "home" / "data" / "default"))
    assert facts["model"].startswith("packaged:all-MiniLM-L6-v2 at ")
    assert facts["query encoder"].startswith("ONNX Runtime")
    assert facts["answer or decline"].startswith("self-calibrated for this corpus")
    monkeypatch.setenv("FAQBOT_ANSWER_THRESHOLD", "0.55")
    assert json.loads(run(capsys, "info", "--json")[1])["answer or decline"].startswith("answer_threshold 0.55 from")
    monkeypatch.delenv("FAQBOT_ANSWER_THRESHOLD")
    code, out, _ = run(capsys, "info")
    assert code == 0 and out.splitlines()[0].startswith("version:")


def test_run_script_keeps_the_callers_folder(tmp_path):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "shop.md").write_text("# Shop\n\n## When do you open?\n\nAt nine.\n")
    result = subprocess.run(["bash", str(ROOT / "run"), "faqbot", "corpus", "check", "--corpus", "faq"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "faq: 1 entries, no problems."


@pytest.mark.parametrize("question,code", [(b"PMO \xff salary?", 0), (b"\xe2\x80\x8b\xff", 2)])
def test_undecodable_bytes_in_the_question_never_show_a_traceback(index_dir, question, code):
    # Python hands an undecodable byte over as a lone surrogate ("\udcff"), which no encoder accepts.
    result = subprocess.run([sys.executable, "-m", "bot", "ask", question, "--index", index_dir],
                            capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert "Traceback" not in result.stderr and result.returncode == code, result.stderr
    if code == 0:
        assert "Sources:" in result.stdout
    else:
        assert result.stderr == "Please type a question.\n" and result.stdout == ""


def test_index_on_an_unchanged_corpus_is_up_to_date_without_torch(capsys, tmp_path):
    index = str(tmp_path / "idx")
    assert run(capsys, "index", "--index", index)[0] == 0
    code = ("import sys; from bot.cli import main; code = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules, 'torch imported'; "
            "sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", code, "index", "--index", index], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"The index at {index} is up to date: 58 entries")
    code, out, _ = run(capsys, "index", "--index", index, "--force")
    assert code == 0 and out.startswith("Indexed 58 entries")
    # It says how it will decide between answering and "not in our FAQ", and from what.
    decision = out.splitlines()[-1]
    assert decision.startswith("Answer or decline: self-calibrated for this corpus, no labels needed")
    assert "rewordings of the FAQ's questions reach" in decision and "median of" in decision
