"""Follow-up questions, with the real model on the default corpus: a question is read in the
context of the conversation when it leans on it, and on its own when it stands alone."""

from __future__ import annotations

import json

import pytest

from bot.answer import WHICH_ONE
from bot.conversation import leans_on_context, parse_history, swap_names
from bot.engine import QuestionError
from tests.support import ROOT

DIALOGUES = ROOT / "benchmarks" / "dialogues" / "default.jsonl"


def test_history_is_a_list_of_questions_or_question_and_entry_pairs():
    turns = parse_history(["What is a PMO?", {"question": " is it  admin? ", "answered_with": ["pmo-admin"]}], 100)
    assert [(t.question, t.answered_with) for t in turns] == [("What is a PMO?", ()), ("is it admin?", ("pmo-admin",))]
    assert parse_history(None, 100) == [] and len(parse_history(["q"] * 50, 100)) == 20
    for bad in ("What is a PMO?", [1], [{"answered_with": ["x"]}], [{"question": "q", "answered_with": "x"}]):
        with pytest.raises(ValueError):
            parse_history(bad, 100)
    with pytest.raises(ValueError, match="over 10 characters"):
        parse_history(["a question that is too long"], 10)


@pytest.mark.parametrize("question, leans", [
    ("does it pay well?", True), ("and the PMQ?", True), ("what about for a PMO?", True), ("why?", True),
    ("how long?", True), ("What is P3O?", False), ("Is programme management stressful?", False),
    ("pmq", False),
])
def test_a_question_leans_on_the_conversation_by_pronouns_openers_or_having_no_words_of_its_own(question, leans):
    assert leans_on_context(question, names={"pmq", "p3o", "pmo"}) is leans


def test_a_question_that_is_only_a_name_asks_the_last_question_about_that_name():
    names = {"pfq", "pmq", "apm"}
    assert swap_names("What is the APM PFQ?", "and the PMQ?", names) == "What is the APM PMQ?"
    assert swap_names("How long is the PFQ exam?", "what about the pmq", names) == "How long is the pmq exam?"
    assert swap_names("What is the APM PFQ?", "is the PMQ harder?", names) is None  # says more than a name
    assert swap_names("How do I become a PMO?", "and the PMQ?", names) is None  # the subject names nothing known


@pytest.mark.parametrize("earlier, question, expected", [
    ("Is a programme manager more senior than a project manager?", "who's above them then?", "pgm-above"),
    ("Can I sit an APM exam from home?", "which browser do i need", "apm-online-exams"),
    ("Who is the APM PPQ for?", "how is it assessed?", "apm-ppq"),
    ("What is the APM PFQ?", "and the PMQ?", "apm-pmq"),
])
def test_a_follow_up_is_answered_as_meant_and_says_how_it_was_read(default_bot, earlier, question, expected):
    answer = default_bot.ask(question, history=[earlier])
    assert answer.answered and answer.citations[0].id == expected
    assert answer.context and answer.to_json()["context"] == answer.context
    assert answer.to_json()["interpreted_as"] != question


def test_the_same_follow_up_asked_alone_is_not_answered_from_that_entry(default_bot):
    alone = default_bot.ask("which browser do i need")
    assert not (alone.answered and alone.citations[0].id == "apm-online-exams")
    assert alone.context is None and alone.to_json()["interpreted_as"] == "which browser do i need"


def test_a_question_that_stands_alone_is_answered_alone_and_off_topic_stays_declined(default_bot):
    history = ["What does a programme manager do that a project manager doesn't?"]
    switch = default_bot.ask("What is P3O?", history=history)
    assert switch.answered and switch.citations[0].id == "pmo-p3o" and switch.context is None
    for question in ("tell me a joke", "is it going to rain tomorrow"):
        assert not default_bot.ask(question, history=history).answered


def test_a_follow_up_that_could_mean_two_things_asks_back_with_both(default_bot):
    history = [{"question": "What do PMO staff actually do?", "answered_with": ["pmo-role"]},
               {"question": "what skills do you need for it", "answered_with": ["pmo-skills"]}]
    answer = default_bot.ask("and for programme managers?", history=history)
    assert not answer.answered and answer.answer == WHICH_ONE and answer.citations == []
    assert len(answer.suggestions) == 2 and "pgm-skills" in [s.id for s in answer.suggestions]


def test_a_bad_history_is_a_question_error(default_bot):
    with pytest.raises(QuestionError, match="history"):
        default_bot.ask("why?", history="What is a PMO?")


def test_dialogues_on_the_default_corpus_follow_ups_are_handled_far_better_with_history(default_bot):
    right = {"with": 0, "alone": 0}
    follow_ups = off_topic = off_topic_declined = 0
    for line in DIALOGUES.read_text(encoding="utf-8").splitlines():
        history = []
        for turn in json.loads(line)["turns"]:
            answer = default_bot.ask(turn["question"], history=history)
            if turn["kind"] == "follow-up":
                follow_ups += 1
                right["with"] += answer.answered and answer.citations[0].id in turn["expected"]
                alone = default_bot.ask(turn["question"])
                right["alone"] += alone.answered and alone.citations[0].id in turn["expected"]
            if turn["kind"] == "off-topic":
                off_topic += 1
                off_topic_declined += not answer.answered
            history.append({"question": turn["question"], "answered_with": [c.id for c in answer.citations][:1]})
    print(f"follow-ups right: {right['with']}/{follow_ups} with history, {right['alone']} alone")
    assert follow_ups >= 100 and right["with"] / follow_ups >= 0.78 and right["alone"] / follow_ups <= 0.45
    assert off_topic_declined == off_topic
