"""Turn retrieval hits into a grounded answer: the FAQ's own text with numbered citations,
or an honest "that's not in our FAQ" with the closest questions offered instead."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable

from bot.corpus.model import Entry
from bot.highlight import Span

if TYPE_CHECKING:
    from bot.decision import Judge
    from bot.retrievers import Hit

SNIPPET_CHARS = 200
# How far below the best match a suggestion may score: "did you mean" (declined) offers only
# near-ties of the best; "related questions" (answered) offers the answered entry's neighbours.
# Chosen on the tuning corpora for suggestion precision (benchmarks/decision.py).
DID_YOU_MEAN_GAP = 0.05
RELATED_GAP = 0.30
NOT_IN_FAQ = "Sorry, our FAQ doesn't cover that, so I won't guess an answer."
WHICH_ONE = "That could be about more than one thing in our FAQ. Which do you mean?"


@dataclass
class Citation:
    id: str
    question: str
    url: str
    score: float
    snippet: str


@dataclass
class Suggestion:
    id: str
    question: str


@dataclass
class Answer:
    question: str
    answered: bool
    answer: str
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    # The sentence(s) of ``answer`` that best answer the question (character spans).
    highlights: list[Span] = field(default_factory=list)
    # How the question was read: the text searched, and the earlier subject it was read with
    # (None: on its own). Set by bot/reply.py.
    interpreted_as: str = ""
    context: str | None = None

    def to_json(self) -> dict:
        """The public JSON contract (CLI --json, HTTP API): exactly these keys."""
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.answer,
            "confidence": self.confidence,
            "citations": [asdict(c) for c in self.citations],
            "suggestions": [asdict(s) for s in self.suggestions],
            "highlights": [{"start": s.start, "end": s.end} for s in self.highlights],
            "interpreted_as": self.interpreted_as or self.question,
            "context": self.context,
        }

    def to_text(self) -> str:
        """Plain-text rendering for a terminal: the answer, then its sources or suggestions."""
        lines = [self.answer]
        if self.context:
            lines = [f"(Read as a follow-up to \u201c{self.context}\u201d.)", ""] + lines
        if self.citations:
            lines += ["", "Sources:"]
            lines += [f"  [{n}] {c.question}" + (f" <{c.url}>" if c.url else "") for n, c in enumerate(self.citations, 1)]
        if self.suggestions:
            lines += ["", "Related questions:" if self.answered else "Closest questions in the FAQ:"]
            lines += [f"  - {s.question}" for s in self.suggestions]
        return "\n".join(lines)


def snippet_of(entry: Entry, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(entry.answer.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def cite(text: str, number: int) -> str:
    """Mark every paragraph of an entry's answer with its citation number. Line breaks inside a
    paragraph are kept: they carry lists and addresses in imported answers."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    tidy = ("\n".join(" ".join(line.split()) for line in p.splitlines()) for p in paragraphs)
    return "\n\n".join(f"{p} [{number}]" for p in tidy)


def compose(question: str, hits: list[Hit], top_k: int, judge: Judge, margin: float,
            pinpoint: Callable[[str], list[Span]] | None = None) -> Answer:
    """Decide whether the FAQ answers ``question`` and write the answer from the ``hits``.

    Args:
        question: the cleaned question.
        hits: entries ranked best first (bot.retrievers).
        top_k: most sources and suggestions to give.
        judge: answers or declines from the hits (bot.decision), and sets the score a suggestion needs.
        margin: a second entry is cited too when the judge would answer with it and it scores this
            close to the best.
        pinpoint: finds the sentences of the best entry's cited text that answer the question
            (bot/highlight.py); None: no highlights.
    """
    if not hits:
        return Answer(question, False, NOT_IN_FAQ, 0.0)
    best = hits[0]
    answered, confidence = judge.verdict(question, hits)
    confidence = round(confidence, 4)
    floor = judge.suggestion_floor
    if not answered:
        # "Did you mean": only entries that come near both the question and the best match; an
        # unrelated next-nearest entry is worse than no suggestion.
        suggestions = [Suggestion(h.entry.id, h.entry.question) for h in hits[:top_k]
                       if h.score >= floor and best.score - h.score <= DID_YOU_MEAN_GAP]
        return Answer(question, False, NOT_IN_FAQ, confidence, [], suggestions)

    cited = [best]
    for position, hit in enumerate(hits[1:top_k], start=1):
        # A second source only where it clearly applies too: nearly as close, and answerable alone.
        if 0 <= best.score - hit.score <= margin and judge.verdict(question, hits[position:])[0]:
            cited.append(hit)
            break
    parts = [cite(best.entry.answer, 1)]
    for number, hit in enumerate(cited[1:], start=2):
        parts.append(f"On a related question, \u201c{hit.entry.question}\u201d:\n\n{cite(hit.entry.answer, number)}")
    citations = [
        Citation(h.entry.id, h.entry.question, h.entry.url, round(h.score, 4), snippet_of(h.entry)) for h in cited
    ]
    # "Related questions": from the answered entry's own topic, and not far below it.
    related = [h for h in hits[len(cited):] if h.score >= floor and best.score - h.score <= RELATED_GAP
               and h.entry.category == best.entry.category]
    suggestions = [Suggestion(h.entry.id, h.entry.question) for h in related[:top_k - 1]]
    highlights = pinpoint(parts[0]) if pinpoint else []  # parts[0] starts the answer text
    return Answer(question, True, "\n\n".join(parts), confidence, citations, suggestions, highlights)


def ask_back(question: str, candidates: list[Hit], confidence: float) -> Answer:
    """Not a guess: the question could mean any of ``candidates``; they are offered to choose from."""
    suggestions = [Suggestion(h.entry.id, h.entry.question) for h in candidates]
    return Answer(question, False, WHICH_ONE, round(confidence, 4), [], suggestions)
