"""Batch evaluation: ``faqbot eval`` and ``faqbot calibrate``.

Every question goes through the same steps as ``FAQBot.ask`` (clean, embed, retrieve, compose)
so the figures are the bot's own; the ranking is kept to depth 10 for the IR metrics. With
several retrievers (``--compare``) each question is embedded once and every retriever ranks the
same vector; each one's latency counts that shared embedding.

Outputs in the ``--out`` folder: ``results.csv`` and ``results.jsonl`` (one row per question,
written as the run goes), ``metrics.json`` and ``report.html``; with ``--compare``, one such
folder per retriever and ``comparison.json``.
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.answer import compose
from bot.calibrate import OBJECTIVES, Point, choose_threshold, write_threshold
from bot.corpus import CorpusError
from bot.eval_questions import LabelResolver, QuestionFileError, count_rows, read_questions
from bot.metrics import answering_metrics, first_relevant_rank, latency_metrics, retrieval_metrics

RANK_DEPTH = 10
EXIT_OK, EXIT_USAGE = 0, 2
CSV_COLUMNS = ["line", "question", "answered", "answer", "confidence", "score", "returned_ids", "expected_ids",
               "correct", "first_relevant_rank", "latency_ms"]


@dataclass
class QuestionResult:
    line: int
    question: str
    answered: bool
    answer: str
    confidence: float
    score: float | None  # the top entry's score; None when the question was refused
    returned: list[str]  # entry ids, best first, to depth 10
    expected: list[str] | None  # None: unlabeled; []: the FAQ does not answer it
    correct: bool | None  # right entry first and answered, or declined when expected is []
    rank: int | None  # rank of the first expected entry in ``returned``
    latency_ms: float
    fields: dict = field(default_factory=dict)

    def csv_row(self) -> list:
        return [self.line, self.question, self.answered, self.answer, self.confidence,
                "" if self.score is None else round(self.score, 4), "|".join(self.returned),
                "" if self.expected is None else "|".join(self.expected) or "[]",
                "" if self.correct is None else self.correct, "" if self.rank is None else self.rank,
                round(self.latency_ms, 2)]

    def json_row(self) -> dict:
        row = asdict(self)
        row["returned_ids"] = row.pop("returned")
        row["expected_ids"] = row.pop("expected")
        row["first_relevant_rank"] = row.pop("rank")
        row["latency_ms"] = round(row["latency_ms"], 2)
        return row


class ResultFiles:
    """results.csv and results.jsonl of one retriever, each row flushed as soon as it is known,
    so a run that stops keeps every row it finished."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._csv_handle = open(folder / "results.csv", "w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._csv_handle)
        self._csv.writerow(CSV_COLUMNS)
        self._jsonl = open(folder / "results.jsonl", "w", encoding="utf-8")

    def write(self, result: QuestionResult) -> None:
        self._csv.writerow(result.csv_row())
        self._jsonl.write(json.dumps(result.json_row(), ensure_ascii=False) + "\n")
        self._csv_handle.flush()
        self._jsonl.flush()

    def close(self) -> None:
        self._csv_handle.close()
        self._jsonl.close()


def judge(answer, returned: list[str], expected: list[str] | None) -> tuple[bool | None, int | None]:
    """(correct, rank of the first expected entry) of one answer."""
    if expected is None:
        return None, None
    if not expected:
        return not answer.answered, None
    rank = first_relevant_rank(returned, set(expected))
    top = answer.citations[0].id if answer.citations else None
    return bool(answer.answered and top in expected), rank


@dataclass
class EvalRun:
    """The results of one pass over a questions file, per retriever."""

    methods: list[str]
    results: dict[str, list[QuestionResult]]
    seconds: float
    stopped_at: QuestionFileError | None = None


def run_questions(bot, questions_file: Path, methods: list[str], out: Path | None,
                  progress: bool = True) -> EvalRun:
    """Ask every question of ``questions_file`` with each retriever in ``methods``.

    Args:
        bot: an opened bot.engine.FAQBot.
        questions_file: JSONL or CSV (bot/eval_questions.py).
        methods: retriever names (bot.retriever.RETRIEVERS).
        out: folder for the per-question files (a subfolder per retriever when several), or None.
        progress: show a progress bar on stderr.

    Returns:
        the results; ``stopped_at`` holds the error of a malformed row, the rows before it done.
    """
    from bot.engine import QuestionError, clean_question
    from bot.retriever import Retriever

    settings = bot.settings
    retrievers = {m: Retriever.from_settings(bot.index, bot.embedder, settings, m) for m in methods}
    files = {}
    if out is not None:
        files = {m: ResultFiles(out / m if len(methods) > 1 else out) for m in methods}
    results: dict[str, list[QuestionResult]] = {m: [] for m in methods}
    resolver = LabelResolver(bot.index.entries)
    needs_vector = any(m != "bm25" for m in methods)
    depth = max(RANK_DEPTH, settings.top_k + 1)
    if needs_vector:
        # The first encode pays torch's one-off set-up; keep that out of the per-question latency.
        bot.embedder.encode_query("warm-up")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=count_rows(questions_file), desc="Evaluating", unit="q", file=sys.stderr, leave=False)
    started = time.perf_counter()
    stopped_at = None
    try:
        for row in read_questions(questions_file, resolver):
            try:
                text = clean_question(row.question, settings.max_question_chars)
            except QuestionError as exc:
                text, refused = None, str(exc)
            encode_ms, vector = 0.0, None
            if text is not None and needs_vector:
                tick = time.perf_counter()
                vector = bot.embedder.encode_query(text)
                encode_ms = (time.perf_counter() - tick) * 1000
            for method in methods:
                tick = time.perf_counter()
                if text is None:
                    result = QuestionResult(row.line, row.question, False, refused, 0.0, None, [], row.expected,
                                            None if row.expected is None else not row.expected, None, 0.0, row.fields)
                else:
                    retriever = retrievers[method]
                    hits = (retriever.search_lexical(text, depth) if method == "bm25"
                            else retriever.search_vector(vector, depth, text))
                    answer = compose(text, hits, settings, settings.top_k)
                    elapsed = (time.perf_counter() - tick) * 1000 + (encode_ms if method != "bm25" else 0.0)
                    returned = [h.entry.id for h in hits[:RANK_DEPTH]]
                    correct, rank = judge(answer, returned, row.expected)
                    result = QuestionResult(row.line, row.question, answer.answered, answer.answer, answer.confidence,
                                            hits[0].score if hits else None, returned, row.expected, correct, rank,
                                            elapsed, row.fields)
                results[method].append(result)
                if method in files:
                    files[method].write(result)
            if bar:
                bar.update(1)
    except QuestionFileError as exc:
        stopped_at = exc
    finally:
        if bar:
            bar.close()
        for handle in files.values():
            handle.close()
    return EvalRun(methods, results, time.perf_counter() - started, stopped_at)


def calibration_points(results: list[QuestionResult]) -> list[Point]:
    return [Point(r.score if r.score is not None else -math.inf, bool(r.expected),
                  bool(r.returned) and r.expected is not None and r.returned[0] in r.expected)
            for r in results if r.expected is not None]


def summarize(results: list[QuestionResult], method: str, threshold: float, by: str | None = None) -> dict:
    """The metrics of one retriever's results (see bot/metrics.py for the definitions)."""
    labeled = [r for r in results if r.expected is not None]
    answerable = [r for r in labeled if r.expected]
    summary = {
        "retriever": method,
        "answer_threshold": threshold,
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(labeled) - len(answerable),
        "unlabeled": len(results) - len(labeled),
        "retrieval": retrieval_metrics([(r.returned, set(r.expected)) for r in answerable]),
        # BM25 scores are not on the scale the threshold is set for: its "answered" means nothing.
        "answering": None if method == "bm25" or not labeled else answering_metrics(
            [(r.answered, bool(r.expected), bool(r.correct)) for r in labeled]),
        "latency": latency_metrics([r.latency_ms for r in results if r.score is not None]),
    }
    if by:
        groups: dict[str, list[QuestionResult]] = {}
        for r in results:
            groups.setdefault(str(r.fields.get(by, "(none)")), []).append(r)
        summary["by_field"] = by
        summary["by"] = {value: summarize(rows, method, threshold) for value, rows in sorted(groups.items())}
    return summary


def _round(data, digits: int = 4):
    if isinstance(data, float):
        return None if math.isnan(data) else round(data, digits)
    if isinstance(data, dict):
        return {k: _round(v, digits) for k, v in data.items()}
    if isinstance(data, list):
        return [_round(v, digits) for v in data]
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
             f"the FAQ, {summary['unlabeled']} unlabeled (retriever {summary['retriever']}, threshold "
             f"{summary['answer_threshold']:.3f})"]
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


def _settings_for(args, settings):
    changes = {}
    if getattr(args, "retriever", None):
        changes["retriever"] = args.retriever
    if getattr(args, "allow_duplicate_questions", False):
        changes["duplicate_questions"] = "allow"
    if getattr(args, "threshold", None) is not None:
        changes["answer_threshold"] = args.threshold
    return settings.replace(**changes)


def _methods(args, settings) -> list[str]:
    from bot.config import ConfigError
    from bot.retriever import RETRIEVERS

    if not getattr(args, "compare", None):
        return [settings.retriever]
    methods = list(dict.fromkeys(m.strip() for m in args.compare.split(",") if m.strip()))
    unknown = [m for m in methods if m not in RETRIEVERS]
    if unknown or not methods:
        raise ConfigError(f"--compare takes retrievers from {', '.join(RETRIEVERS)}; got {args.compare!r}")
    return methods


def evaluate_file(args, settings, calibrate: bool) -> int:
    """The shared body of ``eval`` and ``calibrate``."""
    from bot.engine import FAQBot

    settings = _settings_for(args, settings)
    methods = _methods(args, settings)
    questions_file = Path(args.questions)
    if not questions_file.is_file():
        print(f"{questions_file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out) if args.out else Path("eval-results") / questions_file.stem
    started = time.perf_counter()
    try:
        bot = FAQBot.open(settings)
    except CorpusError as exc:
        if any(p.message.startswith("duplicate question") for p in exc.problems):
            print("Hint: if entries share a question on purpose (one entry per answer), add "
                  "--allow-duplicate-questions.", file=sys.stderr)
        raise
    run = run_questions(bot, questions_file, methods, out, progress=not args.no_progress)
    entries_by_id = {e.id: e for e in bot.index.entries}

    summaries = {}
    for method in methods:
        summary = summarize(run.results[method], method, settings.answer_threshold, args.by)
        summary.update({
            "questions_file": str(questions_file), "corpus": str(settings.corpus), "entries": len(bot.index.entries),
            "run_seconds": run.seconds, "total_seconds": time.perf_counter() - started,
            "stopped_at": str(run.stopped_at) if run.stopped_at else None,
        })
        summaries[method] = summary

    calibration = None
    primary = settings.retriever if settings.retriever in methods else methods[0]
    if calibrate and not run.stopped_at:
        points = calibration_points(run.results[primary])
        try:
            calibration = choose_threshold(points, args.objective)
        except ValueError as exc:
            print(f"Cannot calibrate: {exc}", file=sys.stderr)
            return EXIT_USAGE
        note = (f"calibrated on {questions_file.name} ({calibration.questions} questions): "
                f"{OBJECTIVES[args.objective]} = {calibration.value:.3f}")
        summaries[primary]["calibration"] = {"threshold": calibration.threshold, "objective": args.objective,
                                             "value": calibration.value, "metrics": calibration.metrics,
                                             "previous_threshold": settings.answer_threshold}
        summaries[primary]["calibration_note"] = note

    comparison = comparison_rows(summaries) if len(methods) > 1 else None
    from bot.report import render

    for method in methods:
        folder = out / method if len(methods) > 1 else out
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metrics.json").write_text(json.dumps(_round(summaries[method]), indent=2) + "\n", encoding="utf-8")
        page = render(summaries[method], run.results[method], entries_by_id, calibration_points(run.results[method]),
                      calibration.threshold if calibration and method == primary else None, comparison)
        (folder / "report.html").write_text(page, encoding="utf-8")
    if comparison:
        (out / "comparison.json").write_text(json.dumps(_round(comparison), indent=2) + "\n", encoding="utf-8")

    if args.json:
        data = _round(summaries[methods[0]] if len(methods) == 1 else {"comparison": comparison, "runs": summaries})
        print(json.dumps(data, indent=2))
    elif comparison:
        print(format_table(["retriever", "hit@1", "Recall@5", "MRR@10", "nDCG@10", "answer F1", "p50 ms"],
                           [list(c.values()) for c in comparison]))
    else:
        print(summary_text(summaries[methods[0]]))
    where = out if len(methods) == 1 else f"{out}/<retriever>"
    print(f"Results in {where}/ (results.csv, results.jsonl, metrics.json, report.html).", file=sys.stderr)

    if calibration:
        config = _config_target(args, settings)
        print(f"Calibrated answer_threshold: {calibration.threshold:.4f} (was {settings.answer_threshold:.4f}); "
              f"objective: {OBJECTIVES[args.objective]} = {calibration.value:.3f}; "
              f"answering F1 {_fmt(calibration.metrics['f1'])}, handled right {_fmt(calibration.metrics['accuracy'])} "
              f"on {calibration.questions} labeled questions.", file=sys.stderr)
        if args.dry_run:
            print("Dry run: the config file was not changed.", file=sys.stderr)
        else:
            write_threshold(config, calibration.threshold, summaries[primary]["calibration_note"])
            print(f"Wrote answer_threshold = {calibration.threshold} to {config}.", file=sys.stderr)
            import os

            if os.environ.get("FAQBOT_ANSWER_THRESHOLD"):
                print("Note: FAQBOT_ANSWER_THRESHOLD is set in the environment and overrides the file.",
                      file=sys.stderr)

    if run.stopped_at:
        done = len(run.results[methods[0]])
        print(f"Error: {run.stopped_at}", file=sys.stderr)
        print(f"Stopped there; the {done} question(s) before it were evaluated and their results kept in {out}.",
              file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def _config_target(args, settings) -> Path:
    """Where calibration writes: --config, else the config file in use, else ./faqbot.toml."""
    if getattr(args, "config", None):
        return Path(args.config)
    if settings.config_file is not None:
        return Path(settings.config_file)
    return Path.cwd() / "faqbot.toml"


def cmd_eval(args, settings) -> int:
    return evaluate_file(args, settings, calibrate=args.calibrate)


def cmd_calibrate(args, settings) -> int:
    return evaluate_file(args, settings, calibrate=True)


def add_arguments(parser, calibrate: bool) -> None:
    """The options of ``eval`` and ``calibrate`` (cli.py registers the commands)."""
    from bot.retriever import RETRIEVERS

    parser.add_argument("questions", metavar="QUESTIONS", help="JSONL or CSV of questions, optionally labeled")
    parser.add_argument("--out", metavar="DIR", help="folder for results and report (default eval-results/<name>)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON on stdout")
    parser.add_argument("--retriever", choices=RETRIEVERS, help="rank with this retriever instead of the configured one")
    parser.add_argument("--by", metavar="FIELD", help="also report metrics per value of this field of the rows "
                                                     "(e.g. rephr_group, kind)")
    parser.add_argument("--threshold", type=float, metavar="T", help="answer threshold to evaluate with")
    parser.add_argument("--allow-duplicate-questions", action="store_true",
                        help="accept a corpus where several entries ask the same question (one per answer)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    if not calibrate:
        parser.add_argument("--compare", metavar="LIST", help=f"retrievers to run side by side, e.g. {','.join(RETRIEVERS)}")
        parser.add_argument("--calibrate", action="store_true", help="also calibrate the threshold (see `calibrate`)")
    parser.add_argument("--objective", choices=tuple(OBJECTIVES), default="f1",
                        help="what calibration maximises: f1 of answering (default) or accuracy (share handled right)")
    parser.add_argument("--config", metavar="FILE", help="config file calibration writes to "
                                                        "(default: the one in use, else ./faqbot.toml)")
    parser.add_argument("--dry-run", action="store_true", help="calibrate but do not write the config file")
