"""Find the FAQ entries that best answer a question.

FAISS returns the nearest views (question, alternate or question+answer passage vectors); the
entries they belong to are then scored exactly over all their views:

    score = w * max(cosine to the entry's question views) + (1 - w) * max(cosine to its qa views)

Embedding the question alone matches paraphrases best, while the answer text catches questions
worded around what the answer says; the weighted sum of both beat either alone (see benchmarks/).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.index import LoadedIndex

# How many nearest views to fetch per wanted entry: enough that the true best entry is
# always among the candidates even when one entry owns many views.
VIEWS_PER_RESULT = 8
MIN_CANDIDATE_VIEWS = 64


@dataclass
class Hit:
    entry: object  # bot.corpus.Entry
    score: float
    question_score: float
    answer_score: float
    best_view: str  # the text of the view that matched best, for snippets


class Retriever:
    def __init__(self, index: LoadedIndex, embedder, question_weight: float = 0.6):
        self.index = index
        self.embedder = embedder
        self.question_weight = question_weight

    def search(self, question: str, k: int = 5) -> list[Hit]:
        return self.search_vector(self.embedder.encode_query(question), k)

    def search_vector(self, query: np.ndarray, k: int = 5) -> list[Hit]:
        index = self.index
        n_views = index.faiss_index.ntotal
        if n_views == 0 or k <= 0:
            return []
        fetch = min(n_views, max(MIN_CANDIDATE_VIEWS, VIEWS_PER_RESULT * k))
        _, rows = index.faiss_index.search(query.reshape(1, -1).astype(np.float32), fetch)
        candidates = dict.fromkeys(index.views[r].entry for r in rows[0] if r >= 0)
        hits = []
        for position in candidates:
            view_rows = index.rows_by_entry[position]
            sims = index.vectors[view_rows] @ query
            q_mask = index.is_q_view[view_rows]
            q_score = float(sims[q_mask].max()) if q_mask.any() else 0.0
            a_score = float(sims[~q_mask].max()) if (~q_mask).any() else q_score
            score = self.question_weight * q_score + (1 - self.question_weight) * a_score
            best = int(view_rows[int(np.argmax(sims))])
            hits.append(Hit(index.entries[position], score, q_score, a_score, index.views[best].text))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]
