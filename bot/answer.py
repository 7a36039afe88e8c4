"""Turn retrieval hits into a grounded answer: the FAQ's own text with numbered citations,
or an honest "that's not in our FAQ" with the closest questions offered instead."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from bot.corpus.model import Entry

if TYPE_CHECKING:
    from bot.retrievers import Hit

SNIPPET_CHARS = 200
NOT_IN_FAQ = "Sorry, our FAQ doesn't cover that, so I won't guess an answer."


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

    def to_json(self) -> dict:
        """The public JSON contract (CLI --json, HTTP API): exactly these keys."""
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.answer,
            "confidence": self.confidence,
            "citations": [asdict(c) for c in self.citations],
            "suggestions": [asdict(s) for s in self.suggestions],
        }

    def to_text(self) -> str:
        """Plain-text rendering for a terminal: the answer, then its sources or suggestions."""
        lines = [self.answer]
        if self.citations:
            lines += ["", "Sources:"]
            lines += [f"  [{n}] {c.question}" + (f" <{c.url}>" if c.url else "") for n, c in enumerate(self.citations, 1)]
        if self.suggestions:
            lines += ["", "Related questions:" if self.answered else "Closest questions in the FAQ:"]
            lines += [f"  - {s.question}" for s in self.suggestions]
        return "\n".join(lines)


def confidence_of(score: float, threshold: float, slope: float) -> float:
    """Map a retrieval score to 0..1, with 0.5 exactly at the answer threshold."""
    return 1.0 / (1.0 + math.exp(-slope * (score - threshold)))


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


def compose(question: str, hits: list[Hit], top_k: int, threshold: float, slope: float, margin: float) -> Answer:
    """Decide whether the FAQ answers ``question`` and write the answer from the ``hits``.

    Args:
        question: the cleaned question.
        hits: entries ranked best first (bot.retrievers).
        top_k: most sources and suggestions to give.
        threshold: the score an answer needs (below it: "not in our FAQ" and suggestions).
        slope: steepness of the score -> confidence curve around the threshold.
        margin: a second entry is cited too when it passes the threshold this close to the best.
    """
    if not hits:
        return Answer(question, False, NOT_IN_FAQ, 0.0)
    best = hits[0]
    confidence = round(confidence_of(best.score, threshold, slope), 4)
    answered = best.score >= threshold
    if not answered:
        suggestions = [Suggestion(h.entry.id, h.entry.question) for h in hits[:top_k]]
        return Answer(question, False, NOT_IN_FAQ, confidence, [], suggestions)

    cited = [best]
    for hit in hits[1:top_k]:
        # A second source only where it clearly applies too: above the threshold and nearly as close.
        if hit.score >= threshold and best.score - hit.score <= margin:
            cited.append(hit)
            break
    parts = [cite(best.entry.answer, 1)]
    for number, hit in enumerate(cited[1:], start=2):
        parts.append(f"On a related question, \u201c{hit.entry.question}\u201d:\n\n{cite(hit.entry.answer, number)}")
    citations = [
        Citation(h.entry.id, h.entry.question, h.entry.url, round(h.score, 4), snippet_of(h.entry)) for h in cited
    ]
    suggestions = [Suggestion(h.entry.id, h.entry.question) for h in hits[len(cited):top_k + len(cited) - 1]]
    return Answer(question, True, "\n\n".join(parts), confidence, citations, suggestions)
