"""Find the FAQ entries that best answer a question.

Three ways to rank, chosen by the ``retriever`` setting:

``dense``
    FAISS returns the nearest views (question, alternate or question+answer passage vectors);
    the entries they belong to are then scored exactly over all their views::

        dense = w * max(cosine to the entry's question views) + (1 - w) * max(cosine to its qa views)

    Embedding the question alone matches paraphrases best, while the answer text catches
    questions worded around what the answer says; the weighted sum beats either alone.
``bm25``
    Okapi BM25 over each entry's words (bot/lexical.py). Weak alone; there for comparison.
``hybrid`` (default)
    ``dense + lexical_weight * name coverage``: the dense score, plus a small bonus for the
    share of the question's product/organisation names that an entry mentions. The bonus only
    moves near-ties, and only for questions that name something, which is exactly where dense
    embeddings confuse "GitHub" with "Gmail" or "Vimeo" with "YouTube". Plain BM25 blended the
    same way does not help (see benchmarks/retrieval.py): it fixes as many entries as it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.index import LoadedIndex

RETRIEVERS = ("dense", "bm25", "hybrid")

# How many nearest views to fetch per wanted entry: enough that the true best entry is
# always among the candidates even when one entry owns many views.
VIEWS_PER_RESULT = 8
MIN_CANDIDATE_VIEWS = 64


@dataclass
class Hit:
    entry: object  # bot.corpus.Entry
    score: float  # what entries are ranked by, and what the answer threshold applies to
    question_score: float
    answer_score: float
    best_view: str  # the text of the view that matched best, for snippets
    lexical_score: float = 0.0  # name coverage (hybrid) or BM25 (bm25)


class Retriever:
    def __init__(self, index: LoadedIndex, embedder, question_weight: float = 0.5,
                 method: str = "hybrid", lexical_weight: float = 0.04):
        if method not in RETRIEVERS:
            raise ValueError(f"unknown retriever {method!r} (known: {', '.join(RETRIEVERS)})")
        self.index = index
        self.embedder = embedder
        self.question_weight = question_weight
        self.method = method
        self.lexical_weight = lexical_weight

    @classmethod
    def from_settings(cls, index: LoadedIndex, embedder, settings, method: str | None = None) -> "Retriever":
        """The retriever the settings ask for, or ``method`` (one of RETRIEVERS) instead."""
        from bot.config import ConfigError

        method = method or settings.retriever
        if method not in RETRIEVERS:
            raise ConfigError(f"setting 'retriever' is {method!r}; use one of {', '.join(RETRIEVERS)}")
        return cls(index, embedder, settings.question_weight, method, settings.lexical_weight)

    def search(self, question: str, k: int = 5) -> list[Hit]:
        if self.method == "bm25":
            return self.search_lexical(question, k)  # no embedding needed
        return self.search_vector(self.embedder.encode_query(question), k, question)

    def search_vector(self, query: np.ndarray, k: int = 5, question: str | None = None) -> list[Hit]:
        """Rank entries for an already embedded question. ``question`` (its text) is needed for
        the hybrid's name coverage and for bm25; without it the ranking is dense."""
        if self.method == "bm25" and question is not None:
            return self.search_lexical(question, k)
        index = self.index
        n_views = index.faiss_index.ntotal
        if n_views == 0 or k <= 0:
            return []
        fetch = min(n_views, max(MIN_CANDIDATE_VIEWS, VIEWS_PER_RESULT * k))
        _, rows = index.faiss_index.search(query.reshape(1, -1).astype(np.float32), fetch)
        candidates = dict.fromkeys(index.views[r].entry for r in rows[0] if r >= 0)
        coverage = None
        if self.method == "hybrid" and question is not None and index.lexical is not None and self.lexical_weight:
            coverage = index.lexical.name_coverage(question)
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

    def search_lexical(self, question: str, k: int = 5) -> list[Hit]:
        """BM25 alone. Its scores are not on the cosine scale the answer threshold is set for."""
        index = self.index
        if index.lexical is None or not index.entries or k <= 0:
            return []
        scores = index.lexical.bm25_scores(question)
        top = np.argsort(-scores, kind="stable")[:k]
        return [Hit(index.entries[p], float(scores[p]), 0.0, 0.0, index.entries[p].question, float(scores[p]))
                for p in top]
