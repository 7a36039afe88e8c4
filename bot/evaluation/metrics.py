"""Evaluation metrics as plain functions over ranked ids and labels.

Named the way information retrieval names them (sentence-transformers' IR evaluator, MTEB):
hit@k, Recall@k, MRR@k, nDCG@k with binary relevance. "Answering" metrics treat the bot's
decision to answer as a classifier of "the FAQ answers this".
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def hit_at_k(ranked: Sequence[str], relevant: set[str], k: int = 1) -> float:
    """1.0 when any of the first ``k`` ids is relevant."""
    return float(any(r in relevant for r in ranked[:k]))


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int = 5) -> float:
    """Share of the relevant ids found in the first ``k`` (capped below 1 when there are more
    than ``k`` relevant ids)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """1 / rank of the first relevant id within the first ``k``; 0 if none."""
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary gains."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def first_relevant_rank(ranked: Sequence[str], relevant: set[str]) -> int | None:
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return rank
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def retrieval_metrics(rankings: Sequence[tuple[Sequence[str], set[str]]]) -> dict:
    """Mean hit@1, Recall@5, MRR@10 and nDCG@10 over (ranked ids, relevant ids) pairs of
    answerable questions."""
    n = len(rankings)
    if n == 0:
        return {"questions": 0, "hit@1": None, "recall@5": None, "mrr@10": None, "ndcg@10": None}
    return {
        "questions": n,
        "hit@1": sum(hit_at_k(r, rel, 1) for r, rel in rankings) / n,
        "recall@5": sum(recall_at_k(r, rel, 5) for r, rel in rankings) / n,
        "mrr@10": sum(reciprocal_rank(r, rel, 10) for r, rel in rankings) / n,
        "ndcg@10": sum(ndcg_at_k(r, rel, 10) for r, rel in rankings) / n,
    }


def answering_metrics(decisions: Sequence[tuple[bool, bool, bool]]) -> dict:
    """How well the bot decides to answer, from (answered, should_answer, top_answer_is_right)
    per labeled question.

    Returns:
        precision / recall / f1 of "answered" against "should answer"; ``answered_accuracy``,
        the share of answered answerable questions whose first citation is a right entry;
        ``accuracy``, the share of questions handled right (a right answer, or declining a
        question the FAQ does not answer); and the counts behind them.
    """
    answered = sum(a for a, _, _ in decisions)
    should = sum(s for _, s, _ in decisions)
    both = sum(a and s for a, s, _ in decisions)
    right = sum(a and s and ok for a, s, ok in decisions)
    handled = sum((a and s and ok) or (not a and not s) for a, s, ok in decisions)
    precision = both / answered if answered else None
    recall = both / should if should else None
    f1 = (2 * precision * recall / (precision + recall)) if precision and recall else (0.0 if answered and should else None)
    return {
        "questions": len(decisions),
        "should_answer": should,
        "answered": answered,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "answered_accuracy": right / both if both else None,
        "accuracy": handled / len(decisions) if decisions else None,
    }


def latency_metrics(milliseconds: Sequence[float]) -> dict:
    return {"median_ms": percentile(milliseconds, 50), "p95_ms": percentile(milliseconds, 95),
            "questions": len(milliseconds)}
