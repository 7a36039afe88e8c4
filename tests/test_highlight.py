"""The sentence(s) of an answer that best answer the question, as character spans."""

from __future__ import annotations

from bot.highlight import sentence_spans


def test_sentences_are_found_with_their_citation_marks():
    text = "It takes two days. The exam is online [1]\n\nSecond part? Yes! [2]"
    spans = [text[s.start:s.end] for s in sentence_spans(text)]
    assert spans == ["It takes two days.", "The exam is online [1]", "Second part?", "Yes! [2]"]


def test_an_answer_highlights_the_sentence_that_answers_the_question(default_bot):
    answer = default_bot.ask("how long is the PMQ exam?")
    assert answer.answered and 1 <= len(answer.highlights) <= 2
    for span in answer.highlights:
        assert 0 <= span.start < span.end <= len(answer.answer)
    pinpointed = " ".join(answer.answer[s.start:s.end] for s in answer.highlights)
    assert "hour" in pinpointed.lower()
    assert answer.to_json()["highlights"] == [{"start": s.start, "end": s.end} for s in answer.highlights]


def test_a_declined_question_has_no_highlights(default_bot):
    assert default_bot.ask("What is the capital of Australia?").highlights == []
