"""One question's way through the bot: read it (alone, and in the conversation's context when
there is one: bot/conversation.py), retrieve, decide (bot/decision), write the grounded answer
(bot/answer.py) and pinpoint the sentences that answer it (bot/highlight.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.answer import Answer, ask_back, compose
from bot.conversation import Reading, Subject, choose, leans_on_context, swap_names

# A follow-up's candidates: this far down each of its rankings (alone, and read after the subject).
RERANK_DEPTH = 20
# How a follow-up's candidates are ranked: its own score, plus these shares of the entry's
# closeness to the subject alone, of its score for the question read after the subject (the
# entry's question), and read after the visitor's own earlier words. Chosen on the default
# corpus's dialogues (benchmarks/conversation.py); the shop's were held out.
SUBJECT_WEIGHT = 0.05
TOGETHER_WEIGHT = 0.25
SAID_WEIGHT = 0.25
# A question that leans on the conversation and is about the FAQ is answered from its reading in
# context from this confidence: it says little of its own, so it rarely looks like a question
# the FAQ answers word for word.
FOLLOW_UP_CONFIDENCE = 0.3


class FollowUpJudge:
    """``judge``, answering from FOLLOW_UP_CONFIDENCE."""

    def __init__(self, judge):
        self.judge = judge
        self.suggestion_floor = judge.suggestion_floor

    def verdict(self, question: str, hits: list) -> tuple[bool, float]:
        answered, confidence = self.judge.verdict(question, hits)
        return answered or confidence >= FOLLOW_UP_CONFIDENCE, confidence

if TYPE_CHECKING:
    from bot.decision import Judge
    from bot.highlight import Highlighter
    from bot.retrievers import Hit, Retriever


def reply(question: str, subjects: list[Subject], retriever: Retriever, encoder, judge: Judge,
          highlighter: Highlighter | None, top_k: int, depth: int, margin: float,
          names: set[str] | frozenset = frozenset(), vocabulary=frozenset()) -> tuple[Answer, list[Hit]]:
    """Answer the cleaned ``question``; ``subjects``: the conversation's last subjects, most recent
    first (empty for a question asked on its own); ``names``: the FAQ's stemmed names (for
    "and the PMQ?") and ``vocabulary`` its stemmed words. Returns the answer and the ranking it
    came from."""
    vectors = {}  # text -> its embedding, so that no text is embedded twice
    in_context_judge = FollowUpJudge(judge) if subjects and leans_on_context(question, names) else judge

    def search(text: str, k: int) -> list:
        if not hasattr(retriever, "search_vector"):  # BM25 embeds nothing
            return retriever.search(text, k=k)
        if text not in vectors:
            vectors[text] = encoder.encode_query(text)
        return retriever.search_vector(vectors[text], k, text)

    def look(text: str, context: str | None) -> Reading:
        hits = search(text, depth)
        answered, confidence = judge.verdict(text, hits) if hits else (False, 0.0)
        return Reading(text, context, hits, answered, confidence)

    def scored(text: str) -> dict:
        return {h.entry.id: h for h in search(text, RERANK_DEPTH)}

    def toward(subject: Subject) -> Reading:
        """The question read after the subject: "does it pay well?" after a programme-manager
        question prefers programme managers' pay to a PMO's, and "what would I need to learn?"
        the route the last answer was about. Each candidate counts its score for the question
        alone, read after the subject, read after the visitor's own earlier words, and its
        closeness to the subject; each is judged by its score for the question read with its
        subject."""
        together = f"{subject.text} {question}"
        rankings = [(1.0, scored(question)), (SUBJECT_WEIGHT, scored(subject.text)),
                    (TOGETHER_WEIGHT, scored(together))]
        if subject.said != subject.text:
            rankings.append((SAID_WEIGHT, scored(f"{subject.said} {question}")))
        else:  # the visitor's words are the subject's: that reading counts as the one after the subject
            rankings[2] = (TOGETHER_WEIGHT + SAID_WEIGHT, rankings[2][1])
        floors = [min((h.score for h in hits.values()), default=0.0) for _, hits in rankings]

        def fused(entry_id: str) -> float:
            return sum(weight * (hits[entry_id].score if entry_id in hits else floor)
                       for (weight, hits), floor in zip(rankings, floors))

        candidates = {**rankings[0][1], **rankings[2][1]}
        in_context = rankings[2][1]
        ranked = [in_context.get(i, candidates[i]) for i in sorted(candidates, key=fused, reverse=True)][:depth]
        answered, confidence = in_context_judge.verdict(together, ranked) if ranked else (False, 0.0)
        return Reading(together, subject.text, ranked, answered, confidence)

    alone = look(question, None)
    readings = []
    for subject in subjects:
        swapped = swap_names(subject.text, question, names)
        if swapped:  # "and the PMQ?" after "What is the APM PFQ?": "What is the APM PMQ?"
            readings.append(look(swapped, subject.text))
        readings.append(toward(subject))
    chosen, offers = choose(question, alone, readings, judge.suggestion_floor, names, vocabulary)
    if offers:
        answer = ask_back(question, [r.hits[0] for r in offers], chosen.confidence)
    else:
        # The visitor's own words say what to pinpoint ("how is it assessed?"); the subject read
        # with them would pick the sentence about the subject instead. A swapped name reading
        # ("What is the APM PMQ?") is itself the question.
        follow_up = chosen.context is not None and chosen.text == f"{chosen.context} {question}"
        vector = vectors.get(question if follow_up else chosen.text)
        pinpoint = None
        if highlighter is not None and vector is not None:
            pinpoint = lambda text: highlighter.spans(text, len(text), vector)  # noqa: E731
        answer = compose(chosen.text, chosen.hits, top_k, judge if chosen.context is None else in_context_judge,
                         margin, pinpoint)
    answer.question = question
    answer.interpreted_as = chosen.text
    answer.context = chosen.context
    return answer, chosen.hits
