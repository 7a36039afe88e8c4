"""`faqbot chat`, the terminal conversation, run as a real process with questions on stdin."""

from __future__ import annotations

import subprocess

from tests.support import ROOT, faqbot_command


def chat(lines: list[str], tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(faqbot_command("chat", "--index", str(tmp_path / "index")), cwd=ROOT,
                          input="".join(line + "\n" for line in lines), capture_output=True, text=True,
                          timeout=600)


def test_the_chat_keeps_the_conversation_between_lines(tmp_path):
    result = chat(["Who is the APM PPQ for?", "how is it assessed?", "/new", "how is it assessed?", "/quit"], tmp_path)
    assert result.returncode == 0, result.stderr
    replies = result.stdout.split("(A new conversation.)")
    # The chat sends the entry that answered each turn: the follow-up is read with its question.
    assert "Read as a follow-up to \u201cWhat is the APM PPQ?\u201d" in replies[0]
    assert "Read as a follow-up" not in replies[1]  # /new forgot the conversation
    assert "Traceback" not in result.stderr


def test_a_number_asks_the_suggestion_it_stands_for_and_an_empty_question_is_ignored(tmp_path):
    result = chat(["", "Is APM a good qualification?", "1"], tmp_path)  # ends at end of input
    assert result.returncode == 0, result.stderr
    first = result.stdout.split("Related questions:")[1].splitlines()[1].strip()
    assert first.startswith("1. ")
    assert f"({first[3:]})" in result.stdout  # the question the number stood for, asked next
