"""The self-contained HTML report of a batch evaluation.

One file that opens offline: charts are inline SVG drawn by matplotlib (glyphs as paths, so no
font files), styles are inline with a system font stack, there is no script, and every question
and answer text is HTML-escaped.
"""

from __future__ import annotations

import html
import io
from datetime import datetime, timezone

WORST_MISSES = 30


def number_text(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _svg(figure) -> str:
    """The figure as an inline <svg> element (no XML prologue, no external references)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display, no GUI toolkit
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "path", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def threshold_sweep(points) -> list[dict]:
    """Coverage and accuracy of answering as the threshold moves over every labeled score.

    Args:
        points: bot.calibrate.Point per labeled question.

    Returns:
        one dict per distinct threshold, highest first: threshold, coverage (share answered),
        accuracy (share of answered questions answered with a right entry: answering a question
        the FAQ does not cover is wrong), f1 of answering.
    """
    from bot.evaluation.calibrate import decisions_at
    from bot.evaluation.metrics import answering_metrics

    rows = []
    for threshold in sorted({p.score for p in points}, reverse=True):
        decisions = decisions_at(points, threshold)
        answered = [d for d in decisions if d[0]]
        right = sum(1 for _, should, ok in answered if should and ok)
        rows.append({
            "threshold": threshold,
            "coverage": len(answered) / len(decisions),
            "accuracy": right / len(answered) if answered else None,
            "f1": answering_metrics(decisions)["f1"],
        })
    return rows


def score_histogram(points, thresholds: dict[str, float]) -> str:
    """Top scores of answerable questions (split by whether the right entry came first) and of
    questions the FAQ does not answer, with the threshold(s) as vertical lines."""
    plt = _pyplot()
    series = [
        ("answerable, right entry first", "#2b7bb9", [p.score for p in points if p.should_answer and p.top_is_right]),
        ("answerable, wrong entry first", "#7570b3", [p.score for p in points if p.should_answer and not p.top_is_right]),
        ("not in the FAQ", "#d95f02", [p.score for p in points if not p.should_answer]),
    ]
    every = [score for _, _, scores in series for score in scores] + list(thresholds.values())
    span = (min(every) - 0.02, max(every) + 0.02)
    figure, axes = plt.subplots(figsize=(6.4, 3.0))
    for label, colour, scores in series:
        if scores:
            axes.hist(scores, bins=30, range=span, alpha=0.65, color=colour, label=f"{label} ({len(scores)})")
    for (label, value), style in zip(thresholds.items(), ("-", "--")):
        axes.axvline(value, color="black", linestyle=style, linewidth=1, label=f"{label} {value:.3f}")
    axes.set_xlabel("top score (confidence is 0.5 at the threshold)")
    axes.set_ylabel("questions")
    axes.legend(frameon=False, fontsize=8)
    return _svg(figure)


def coverage_chart(sweep: list[dict], marks: dict[str, float]) -> str:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 3.0))
    points = [(r["coverage"], r["accuracy"]) for r in sweep if r["accuracy"] is not None]
    if points:
        axes.plot([c for c, _ in points], [a for _, a in points], color="#2b7bb9", linewidth=1.5,
                  drawstyle="steps-post")
    for (label, threshold), marker in zip(marks.items(), ("o", "s")):
        at = [r for r in sweep if r["threshold"] >= threshold]
        row = at[-1] if at else None
        if row and row["accuracy"] is not None:
            axes.plot([row["coverage"]], [row["accuracy"]], marker=marker, color="black", linestyle="none",
                      label=f"{label} {threshold:.3f}: coverage {row['coverage']:.2f}, accuracy {row['accuracy']:.2f}")
    axes.set_xlabel("coverage: share of labeled questions answered")
    axes.set_ylabel("accuracy of what was answered")
    axes.set_xlim(0, 1.02)
    axes.set_ylim(max(0.0, min([a for _, a in points], default=0) - 0.05), 1.01)
    if axes.get_legend_handles_labels()[0]:  # a mark outside the plotted range draws nothing
        axes.legend(frameon=False, fontsize=8, loc="lower left")
    return _svg(figure)


def _table(headers: list[str], rows: list[list], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i >= numeric_from else ""
            cells.append(f"<td{cls}>{html.escape(number_text(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _metrics_rows(summary: dict) -> list[list]:
    r, a, lat = summary["retrieval"], summary["answering"], summary["latency"]
    rows = [
        ["hit@1 (answerable)", r["hit@1"]], ["Recall@5", r["recall@5"]], ["MRR@10", r["mrr@10"]],
        ["nDCG@10", r["ndcg@10"]],
    ]
    if a is not None:
        rows += [["answering precision", a["precision"]], ["answering recall", a["recall"]],
                 ["answering F1", a["f1"]], ["accuracy of what was answered", a["answered_accuracy"]],
                 ["questions handled right", a["accuracy"]]]
    rows += [["latency median (ms)", lat["median_ms"]], ["latency p95 (ms)", lat["p95_ms"]]]
    return rows


def worst_misses(results, limit: int = WORST_MISSES) -> list:
    """Labeled questions handled wrong, the most confidently wrong first."""
    wrong = [r for r in results if r.correct is False]
    return sorted(wrong, key=lambda r: (-r.confidence, r.line))[:limit]


def render_report(summary: dict, results, entries_by_id: dict, points, calibrated: float | None = None,
           comparison: list[dict] | None = None) -> str:
    """The whole report as one HTML string.

    Args:
        summary: the metrics of the run (bot.evaluate.summarize).
        results: the per-question results.
        entries_by_id: the corpus entries, to show the expected entries' questions.
        points: bot.calibrate.Point per labeled question (for the charts).
        calibrated: a newly chosen threshold, shown beside the one the run used.
        comparison: rows of a retriever comparison table, if one was run.
    """
    esc = html.escape
    thresholds = {}
    if summary.get("answer_threshold") is not None:
        thresholds["answer_threshold"] = summary["answer_threshold"]
    if calibrated is not None:
        thresholds["calibrated"] = calibrated
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>faqbot evaluation: {esc(summary['questions_file'])}</title>",
        f"<style>{REPORT_STYLE}</style></head><body><main>",
        f"<h1>How well the FAQ bot answers <code>{esc(summary['questions_file'])}</code></h1>",
        f"<p class='meta'>Corpus <code>{esc(summary['corpus'])}</code> ({summary['entries']} entries) · "
        f"retriever <b>{esc(summary['retriever'])}</b> · {esc(summary['decision'])} · "
        f"{summary['questions']} questions ({summary['answerable']} answerable, {summary['unanswerable']} not in "
        f"the FAQ, {summary['unlabeled']} unlabeled) · {summary['run_seconds']:.1f} s · "
        f"{esc(datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))}</p>",
    ]
    if summary.get("stopped_at"):
        parts.append(f"<p class='warn'>The run stopped at a malformed row: {esc(summary['stopped_at'])}. "
                     "Everything below covers the rows before it.</p>")
    parts.append("<h2>Metrics</h2>" + _table(["metric", "value"], _metrics_rows(summary)))
    if summary.get("by"):
        field = summary["by_field"]
        rows = []
        for value, group in summary["by"].items():
            r, a = group["retrieval"], group["answering"] or {}
            rows.append([f"{field} = {value}", group["questions"], r["hit@1"], r["mrr@10"], r["ndcg@10"],
                         a.get("f1"), a.get("accuracy")])
        parts.append(f"<h2>By {esc(field)}</h2>" + _table(
            ["group", "questions", "hit@1", "MRR@10", "nDCG@10", "answering F1", "handled right"], rows))
    if comparison:
        parts.append("<h2>Retrievers side by side</h2>" + _table(
            ["retriever", "hit@1", "Recall@5", "MRR@10", "nDCG@10", "answering F1", "latency p50 ms"],
            [[c["retriever"], c["hit@1"], c["recall@5"], c["mrr@10"], c["ndcg@10"], c["f1"], c["median_ms"]]
             for c in comparison]))
    for advice in summary.get("advice", []):
        parts.append(f"<p class='advice' role='note'><b>The decision looks wrong here.</b> {esc(advice)}</p>")
    if calibrated is not None:
        parts.append(f"<p>Calibrated threshold: <b>{calibrated:.3f}</b> ({esc(summary.get('calibration_note', ''))}).</p>")
    if points:
        sweep = threshold_sweep(points)
        parts += [
            "<h2>Should it have answered?</h2>",
            "<p>Top score of every labeled question. Answerable questions should score high and questions the "
            "FAQ does not cover low; answerable ones whose first entry is wrong are better declined too. "
            "A fixed threshold (`faqbot calibrate`) draws one line between them.</p>",
            f"<figure>{score_histogram(points, thresholds)}</figure>",
            "<h2>Accuracy against coverage</h2>",
            "<p>Moving a threshold down answers more questions (coverage) and risks more wrong answers. "
            "A question the FAQ does not cover that gets answered counts as wrong.</p>",
            f"<figure>{coverage_chart(sweep, thresholds)}</figure>",
        ]
    else:
        parts.append("<p>No labeled questions: the charts need expected entries (or [] for questions the FAQ "
                     "does not answer).</p>")
    misses = worst_misses(results)
    if misses:
        rows = []
        for r in misses:
            if r.expected:
                kind = "declined" if not r.answered else "wrong entry"
                expected = "; ".join(f"{i}: {entries_by_id[i].question}" if i in entries_by_id else i for i in r.expected)
            else:
                kind, expected = "answered, not in the FAQ", "(should decline)"
            got = (f"{r.returned[0]}: {entries_by_id[r.returned[0]].question}"
                   if r.returned and r.returned[0] in entries_by_id else "–")
            rows.append(f"<tr><td class='num'>{r.line}</td><td>{esc(r.question)}</td><td>{esc(kind)}</td>"
                        f"<td>{esc(expected)}</td><td>{esc(got)}</td><td class='num'>{r.confidence:.3f}</td>"
                        f"<td class='num'>{esc(number_text(r.rank, 0))}</td></tr>")
        parts.append(
            f"<h2>Worst misses ({len(misses)} of {sum(1 for r in results if r.correct is False)})</h2>"
            "<p>Handled wrong, most confident first. <i>rank</i> is where the first expected entry came in "
            "the ranking (– when not in the top 10).</p>"
            "<table><thead><tr><th>line</th><th>question</th><th>what happened</th><th>expected</th>"
            "<th>top entry returned</th><th>confidence</th><th>rank</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


REPORT_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d1d1f;
background:#fff;margin:0}
main{max-width:1000px;margin:0 auto;padding:24px}
.advice{border-left:4px solid #b35900;background:#fff4e5;padding:8px 12px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555}.warn{background:#fff3cd;padding:8px;border-radius:4px}
table{border-collapse:collapse;font-size:.9em;margin:8px 0}
th,td{border-bottom:1px solid #e5e5e5;padding:4px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:8px 0}figure svg{max-width:100%;height:auto}
code{background:#f4f4f4;padding:1px 4px;border-radius:3px}
"""
