"""Hybrid retrieval: the dense score plus a small bonus for the share of the question's
product/organisation names an entry mentions (bot/index/lexical.py computes the coverage)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bot.retrievers.dense import DenseRetriever

if TYPE_CHECKING:
    from bot.encoders import QueryEncoder
    from bot.index.store import LoadedIndex


class HybridRetriever(DenseRetriever):
    name = "hybrid"

    def __init__(self, index: LoadedIndex, encoder: QueryEncoder, question_weight: float = 0.5,
                 lexical_weight: float = 0.04):
        super().__init__(index, encoder, question_weight)
        self.lexical_weight = lexical_weight

    def coverage(self, question: str | None) -> np.ndarray | None:
        if question is None or self.index.lexical is None or not self.lexical_weight:
            return None
        return self.index.lexical.name_coverage(question)
