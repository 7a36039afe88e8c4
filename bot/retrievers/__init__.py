"""Find the FAQ entries that best answer a question. Three ways to rank, behind one interface,
chosen once by ``make_retriever``:

``dense`` (dense.py)
    FAISS returns the nearest views (question, alternate or question+answer passage vectors);
    the entries they belong to are then scored exactly over all their views::

        dense = w * max(cosine to the entry's question views) + (1 - w) * max(cosine to its qa views)

    Embedding the question alone matches paraphrases best, while the answer text catches
    questions worded around what the answer says; the weighted sum beats either alone.
``hybrid`` (hybrid.py, the default)
    ``dense + lexical_weight * name coverage``: the dense score, plus a small bonus for the
    share of the question's product/organisation names that an entry mentions. The bonus only
    moves near-ties, and only for questions that name something, which is exactly where dense
    embeddings confuse "GitHub" with "Gmail" or "Vimeo" with "YouTube". Plain BM25 blended the
    same way does not help (see benchmarks/retrieval.py): it fixes as many entries as it breaks.
``bm25`` (bm25.py)
    Okapi BM25 over each entry's words. Weak alone; there for comparison. Its scores are not on
    the cosine scale the answer threshold is set for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.corpus.model import Entry
    from bot.encoders import QueryEncoder
    from bot.index.store import LoadedIndex

RETRIEVERS = ("hybrid", "dense", "bm25")


@dataclass
class Hit:
    entry: Entry
    score: float  # what entries are ranked by, and what the answer threshold applies to
    question_score: float
    answer_score: float
    best_view: str  # the text of the view that matched best, for snippets
    lexical_score: float = 0.0  # name coverage (hybrid) or BM25 (bm25)


class Retriever(Protocol):
    name: str
    # Whether scores are on the cosine scale the answer threshold is set for.
    calibrated: bool

    def search(self, question: str, k: int = 5) -> list[Hit]: ...


def make_retriever(method: str, index: LoadedIndex, encoder: QueryEncoder, question_weight: float = 0.5,
                   lexical_weight: float = 0.04) -> Retriever:
    """The retriever called ``method`` (one of RETRIEVERS) over ``index``."""
    if method == "bm25":
        from bot.retrievers.bm25 import BM25Retriever

        return BM25Retriever(index)
    if method == "dense":
        from bot.retrievers.dense import DenseRetriever

        return DenseRetriever(index, encoder, question_weight)
    if method == "hybrid":
        from bot.retrievers.hybrid import HybridRetriever

        return HybridRetriever(index, encoder, question_weight, lexical_weight)
    raise ValueError(f"unknown retriever {method!r} (known: {', '.join(RETRIEVERS)})")
