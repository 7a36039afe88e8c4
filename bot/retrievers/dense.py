"""Dense retrieval: nearest views by FAISS, then each candidate entry scored exactly over all of
its views (see bot/retrievers/__init__.py for the formula)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bot.retrievers import Hit

if TYPE_CHECKING:
    from bot.encoders import QueryEncoder
    from bot.index.store import LoadedIndex

# How many nearest views to fetch per wanted entry: enough that the true best entry is
# always among the candidates even when one entry owns many views.
VIEWS_PER_RESULT = 8
MIN_CANDIDATE_VIEWS = 64


class DenseRetriever:
    name = "dense"
    calibrated = True
    lexical_weight = 0.0

    def __init__(self, index: LoadedIndex, encoder: QueryEncoder, question_weight: float = 0.5):
        self.index = index
        self.encoder = encoder
        self.question_weight = question_weight

    def search(self, question: str, k: int = 5) -> list[Hit]:
        return self.search_vector(self.encoder.encode_query(question), k, question)

    def coverage(self, question: str | None) -> np.ndarray | None:
        """Per-entry lexical evidence (0..1) added to the dense score with ``lexical_weight``:
        none here; see HybridRetriever."""
        return None

    def search_vector(self, query: np.ndarray, k: int = 5, question: str | None = None) -> list[Hit]:
        """Rank entries for an already embedded question (``question`` is its text, which a
        subclass's coverage may use)."""
        index = self.index
        n_views = index.vector_index.count
        if n_views == 0 or k <= 0:
            return []
        fetch = min(n_views, max(MIN_CANDIDATE_VIEWS, VIEWS_PER_RESULT * k))
        rows = index.vector_index.search(query, fetch)
        candidates = dict.fromkeys(index.views[r].entry for r in rows if r >= 0)
        coverage = self.coverage(question)
        hits = []
        for position in candidates:
            view_rows = index.rows_by_entry[position]
            sims = index.vectors[view_rows] @ query
            q_mask = index.is_q_view[view_rows]
            q_score = float(sims[q_mask].max()) if q_mask.any() else 0.0
            a_score = float(sims[~q_mask].max()) if (~q_mask).any() else q_score
            score = self.question_weight * q_score + (1 - self.question_weight) * a_score
            lexical = float(coverage[position]) if coverage is not None else 0.0
            score += self.lexical_weight * lexical
            best = int(view_rows[int(np.argmax(sims))])
            hits.append(Hit(index.entries[position], score, q_score, a_score, index.views[best].text, lexical))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]
