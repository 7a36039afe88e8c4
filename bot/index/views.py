"""The searchable *views* of each entry: its question, each alternate wording ("q" views), and
its answer prefixed by its question, long answers split into passages ("qa" views)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.corpus.model import Entry


@dataclass
class View:
    entry: int  # position of the entry in the entries list
    kind: str  # "q" (question or alternate) or "qa" (question + answer passage)
    text: str


def split_passages(text: str, max_words: int) -> list[str]:
    """Split an answer into passages of at most about ``max_words`` words, on sentence ends."""
    words = text.split()
    if len(words) <= max_words:
        return [" ".join(words)]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(words))
    passages, current = [], []
    for sentence in sentences:
        if current and len(" ".join(current + [sentence]).split()) > max_words:
            passages.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        passages.append(" ".join(current))
    return passages


def make_views(entries: list[Entry], passage_words: int) -> list[View]:
    views: list[View] = []
    for position, entry in enumerate(entries):
        for question in entry.questions:
            views.append(View(position, "q", question))
        for passage in split_passages(entry.answer, passage_words):
            views.append(View(position, "qa", f"{entry.question} {passage}"))
    return views
