"""BM25 alone, over each entry's words. Its scores are not on the cosine scale the answer
threshold is set for: there for comparison in evaluations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bot.retrievers import Hit

if TYPE_CHECKING:
    from bot.index.store import LoadedIndex


class BM25Retriever:
    name = "bm25"
    calibrated = False

    def __init__(self, index: LoadedIndex):
        self.index = index

    def search(self, question: str, k: int = 5) -> list[Hit]:
        index = self.index
        if index.lexical is None or not index.entries or k <= 0:
            return []
        scores = index.lexical.bm25_scores(question)
        top = np.argsort(-scores, kind="stable")[:k]
        return [Hit(index.entries[p], float(scores[p]), 0.0, 0.0, index.entries[p].question, float(scores[p]))
                for p in top]
