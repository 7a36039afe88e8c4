"""Numbers from evaluation results: the metrics of one retriever's run, per group, side by side,
and as plain-text tables."""

from __future__ import annotations

import math

from bot.evaluation.calibrate import Point
from bot.evaluation.metrics import answering_metrics, latency_metrics, retrieval_metrics
from bot.evaluation.run import QuestionResult


def group_of(result: QuestionResult, by: str) -> str:
    """The group of ``result`` under the field ``by``; "history" groups questions asked within a
    conversation apart from those asked on their own."""
    if by == "history":
        return "with history" if result.fields.get("history") else "on its own"
    return str(result.fields.get(by, "(none)"))


def calibration_points(results: list[QuestionResult]) -> list[Point]:
    return [Point(r.score if r.score is not None else -math.inf, bool(r.expected),
                  bool(r.returned) and r.expected is not None and r.returned[0] in r.expected)
            for r in results if r.expected is not None]


def summarize(results: list[QuestionResult], method: str, decision: str, by: str | None = None,
              calibrated: bool = True) -> dict:
    """The metrics of one retriever's results (see bot/evaluation/metrics.py for the definitions)."""
    labeled = [r for r in results if r.expected is not None]
    answerable = [r for r in labeled if r.expected]
    summary = {
        "retriever": method,
        "decision": decision,
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(labeled) - len(answerable),
        "unlabeled": len(results) - len(labeled),
        "retrieval": retrieval_metrics([(r.returned, set(r.expected)) for r in answerable]),
        # A retriever whose scores are not on the scale the threshold is set for (BM25) has no
        # meaningful "answered": no answering metrics for it.
        "answering": None if not calibrated or not labeled else answering_metrics(
            [(r.answered, bool(r.expected), bool(r.correct)) for r in labeled]),
        "latency": latency_metrics([r.latency_ms for r in results if r.score is not None]),
    }
    if by:
        groups: dict[str, list[QuestionResult]] = {}
        for r in results:
            groups.setdefault(group_of(r, by), []).append(r)
        summary["by_field"] = by
        summary["by"] = {value: summarize(rows, method, decision, calibrated=calibrated) for value, rows in sorted(groups.items())}
    if calibrated:
        summary["advice"] = decision_advice(labeled)
    return summary


# Shares of labeled questions above which the decision looks wrong for the file at hand.
TOO_CAUTIOUS = 0.15  # answerable, right entry ranked first, yet declined
TOO_EAGER = 0.30  # not in the FAQ, yet answered
ADVICE_MIN_QUESTIONS = 3


def decision_advice(labeled: list[QuestionResult]) -> list[str]:
    """Say so when the answer/decline decision looks wrong for these labeled questions, and what
    fixes it: ``faqbot calibrate`` sets a threshold from the same labels."""
    advice = []
    right_first = [r for r in labeled if r.expected and r.returned and r.returned[0] in r.expected]
    withheld = [r for r in right_first if not r.answered]
    if len(withheld) >= ADVICE_MIN_QUESTIONS and len(withheld) / len(right_first) >= TOO_CAUTIOUS:
        advice.append(f"The bot declined {len(withheld)} of {len(right_first)} answerable questions whose right entry "
                      "it ranked first: the decision is too cautious for these questions. `faqbot calibrate "
                      "QUESTIONS` sets a threshold from these labels (or lower min_confidence).")
    outside = [r for r in labeled if not r.expected]
    answered = [r for r in outside if r.answered]
    if len(answered) >= ADVICE_MIN_QUESTIONS and len(answered) / len(outside) >= TOO_EAGER:
        advice.append(f"The bot answered {len(answered)} of {len(outside)} questions the FAQ does not answer: the "
                      "decision is too eager for these questions. `faqbot calibrate QUESTIONS` sets a threshold "
                      "from these labels (or raise min_confidence).")
    return advice


def rounded(data, digits: int = 4):
    if isinstance(data, float):
        return None if math.isnan(data) else round(data, digits)
    if isinstance(data, dict):
        return {k: rounded(v, digits) for k, v in data.items()}
    if isinstance(data, list):
        return [rounded(v, digits) for v in data]
    return data


def comparison_rows(summaries: dict[str, dict]) -> list[dict]:
    rows = []
    for method, s in summaries.items():
        r, a = s["retrieval"], s["answering"] or {}
        rows.append({"retriever": method, "hit@1": r["hit@1"], "recall@5": r["recall@5"], "mrr@10": r["mrr@10"],
                     "ndcg@10": r["ndcg@10"], "f1": a.get("f1"), "median_ms": s["latency"]["median_ms"]})
    return rows


def format_table(headers: list[str], rows: list[list]) -> str:
    """A plain-text table with aligned columns (numbers to three decimals)."""
    def cell(v):
        if v is None:
            return "–"
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    text_rows = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
    for row in text_rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def summary_text(summary: dict) -> str:
    r, a, lat = summary["retrieval"], summary["answering"], summary["latency"]
    lines = [f"{summary['questions']} questions: {summary['answerable']} answerable, {summary['unanswerable']} not in "
             f"the FAQ, {summary['unlabeled']} unlabeled (retriever {summary['retriever']}, {summary['decision']})"]
    rows = [["hit@1", r["hit@1"]], ["Recall@5", r["recall@5"]], ["MRR@10", r["mrr@10"]], ["nDCG@10", r["ndcg@10"]]]
    if a:
        rows += [["answering precision", a["precision"]], ["answering recall", a["recall"]],
                 ["answering F1", a["f1"]], ["accuracy of answered", a["answered_accuracy"]],
                 ["handled right", a["accuracy"]]]
    rows += [["latency median ms", lat["median_ms"]], ["latency p95 ms", lat["p95_ms"]],
             ["run time s", summary["run_seconds"]]]
    lines.append(format_table(["metric", "value"], rows))
    if summary.get("by"):
        lines.append("")
        lines.append(format_table(
            [summary["by_field"], "questions", "hit@1", "MRR@10", "nDCG@10", "F1", "handled right"],
            [[v, g["questions"], g["retrieval"]["hit@1"], g["retrieval"]["mrr@10"], g["retrieval"]["ndcg@10"],
              (g["answering"] or {}).get("f1"), (g["answering"] or {}).get("accuracy")]
             for v, g in summary["by"].items()]))
    return "\n".join(lines)
