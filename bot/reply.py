"""One question's way through the bot: read it (alone, and in the conversation's context when
there is one: bot/conversation.py), retrieve, decide (bot/decision), write the grounded answer
(bot/answer.py) and pinpoint the sentences that answer it (bot/highlight.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.answer import Answer, ask_back, compose
from bot.conversation import Reading, choose, swap_names

# How far down the question's own ranking a follow-up looks for the entry its subject points to,
# and how much the subject's closeness counts against the question's own score.
RERANK_DEPTH = 20
# 0.3 was best on the default corpus's dialogues (0.2 to 0.5 tried); the shop's were held out.
SUBJECT_WEIGHT = 0.3

if TYPE_CHECKING:
    from bot.decision import Judge
    from bot.highlight import Highlighter
    from bot.retrievers import Hit, Retriever


def reply(question: str, subjects: list[str], retriever: Retriever, encoder, judge: Judge,
          highlighter: Highlighter | None, top_k: int, depth: int, margin: float,
          names: set[str] | frozenset = frozenset(), vocabulary=frozenset()) -> tuple[Answer, list[Hit]]:
    """Answer the cleaned ``question``; ``subjects``: the conversation's last subjects, most recent
    first (empty for a question asked on its own); ``names``: the FAQ's stemmed names (for
    "and the PMQ?") and ``vocabulary`` its stemmed words. Returns the answer and the ranking it
    came from."""
    vectors = {}  # text -> its embedding, so that no text is embedded twice

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

    def toward(subject: str) -> Reading:
        """The question's own candidates, ranked with a preference for what the subject is about:
        "does it pay well?" after a programme-manager question prefers programme managers' pay
        to a PMO's. Each is then judged by its score for the question read with its subject."""
        closeness = {h.entry.id: h.score for h in search(subject, RERANK_DEPTH)}
        floor = min(closeness.values(), default=0.0)
        ranked = sorted(search(question, RERANK_DEPTH), reverse=True,
                        key=lambda h: h.score + SUBJECT_WEIGHT * closeness.get(h.entry.id, floor))[:depth]
        together = f"{subject} {question}"
        in_context = {h.entry.id: h for h in search(together, RERANK_DEPTH)}
        ranked = [in_context.get(h.entry.id, h) for h in ranked]
        answered, confidence = judge.verdict(together, ranked) if ranked else (False, 0.0)
        return Reading(together, subject, ranked, answered, confidence)

    alone = look(question, None)
    readings = []
    for subject in subjects:
        swapped = swap_names(subject, question, names)
        if swapped:  # "and the PMQ?" after "What is the APM PFQ?": "What is the APM PMQ?"
            readings.append(look(swapped, subject))
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
        answer = compose(chosen.text, chosen.hits, top_k, judge, margin, pinpoint)
    answer.question = question
    answer.interpreted_as = chosen.text
    answer.context = chosen.context
    return answer, chosen.hits
