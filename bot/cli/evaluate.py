"""`faqbot eval` and `faqbot calibrate`: answer a file of test questions through the bot's own
ask path, report how well it did, and (calibrate) choose the answer threshold from the labels.

Outputs in the ``--out`` folder: ``results.csv`` and ``results.jsonl`` (one row per question,
written as the run goes), ``metrics.json`` and ``report.html``; with ``--compare``, one such
folder per retriever and ``comparison.json``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from bot import paths
from bot.cli.answering import add_corpus_options
from bot.cli.output import EXIT_OK, EXIT_USAGE
from bot.config import ConfigError, Settings, write_threshold
from bot.corpus import CorpusError
from bot.evaluation.calibrate import OBJECTIVES, choose_threshold
from bot.retrievers import RETRIEVERS


def register(commands) -> None:
    evaluate = commands.add_parser("eval", help="answer a file of test questions and report how well the bot did")
    add_arguments(evaluate, calibrate=False)
    add_corpus_options(evaluate)
    evaluate.set_defaults(handler=cmd_eval)
    calibrate = commands.add_parser("calibrate", help="choose the answer threshold from labeled questions "
                                                      "and write it to the config file")
    add_arguments(calibrate, calibrate=True)
    add_corpus_options(calibrate)
    calibrate.set_defaults(handler=cmd_calibrate)


def _settings_for(args, settings: Settings) -> Settings:
    changes = {}
    if getattr(args, "retriever", None):
        changes["retriever"] = args.retriever
    if getattr(args, "allow_duplicate_questions", False):
        changes["duplicate_questions"] = "allow"
    if getattr(args, "threshold", None) is not None:
        changes["answer_threshold"] = args.threshold
    return settings.replace(**changes)


def _methods(args, settings: Settings) -> list[str]:
    if not getattr(args, "compare", None):
        return [settings.retriever]
    methods = list(dict.fromkeys(m.strip() for m in args.compare.split(",") if m.strip()))
    unknown = [m for m in methods if m not in RETRIEVERS]
    if unknown or not methods:
        raise ConfigError(f"--compare takes retrievers from {', '.join(RETRIEVERS)}; got {args.compare!r}")
    return methods


def evaluate_file(args, settings: Settings, calibrate: bool) -> int:
    """The shared body of ``eval`` and ``calibrate``."""
    from bot.engine import FAQBot
    from bot.evaluation.questions import count_rows
    from bot.evaluation.report import number_text, render_report
    from bot.evaluation.run import run_questions
    from bot.evaluation.summary import (
        calibration_points,
        comparison_rows,
        format_table,
        rounded,
        summarize,
        summary_text,
    )

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
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=count_rows(questions_file), desc="Evaluating", unit="q", file=sys.stderr, leave=False)
    try:
        run = run_questions(bot, questions_file, methods, out, on_row=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    entries_by_id = {e.id: e for e in bot.index.entries}

    summaries = {}
    by = args.by
    if by is None and any(r.fields.get("history") for r in run.results[methods[0]]):
        by = "history"  # follow-ups apart from questions asked on their own
    for method in methods:
        summary = summarize(run.results[method], method, bot.judge.summary(), by,
                            calibrated=run.calibrated[method])
        summary.update({
            "questions_file": str(questions_file), "corpus": str(settings.corpus), "entries": len(bot.index.entries),
            "answer_threshold": settings.answer_threshold,
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
                                             "previous_decision": bot.judge.summary()}
        summaries[primary]["calibration_note"] = note

    comparison = comparison_rows(summaries) if len(methods) > 1 else None

    for method in methods:
        folder = out / method if len(methods) > 1 else out
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metrics.json").write_text(json.dumps(rounded(summaries[method]), indent=2) + "\n", encoding="utf-8")
        page = render_report(summaries[method], run.results[method], entries_by_id, calibration_points(run.results[method]),
                      calibration.threshold if calibration and method == primary else None, comparison)
        (folder / "report.html").write_text(page, encoding="utf-8")
    if comparison:
        (out / "comparison.json").write_text(json.dumps(rounded(comparison), indent=2) + "\n", encoding="utf-8")

    if args.json:
        data = rounded(summaries[methods[0]] if len(methods) == 1 else {"comparison": comparison, "runs": summaries})
        print(json.dumps(data, indent=2))
    elif comparison:
        print(format_table(["retriever", "hit@1", "Recall@5", "MRR@10", "nDCG@10", "answer F1", "p50 ms"],
                           [list(c.values()) for c in comparison]))
    else:
        print(summary_text(summaries[methods[0]]))
    for advice in summaries[primary].get("advice", []) if not calibration else []:
        print(f"Note: {advice}", file=sys.stderr)
    where = out if len(methods) == 1 else f"{out}/<retriever>"
    print(f"Results in {where}/ (results.csv, results.jsonl, metrics.json, report.html).", file=sys.stderr)

    if calibration:
        config = _config_target(args, settings)
        print(f"Calibrated answer_threshold: {calibration.threshold:.4f} (was: {bot.judge.summary()}); "
              f"objective: {OBJECTIVES[args.objective]} = {calibration.value:.3f}; "
              f"answering F1 {number_text(calibration.metrics['f1'])}, handled right {number_text(calibration.metrics['accuracy'])} "
              f"on {calibration.questions} labeled questions.", file=sys.stderr)
        if args.dry_run:
            print("Dry run: the config file was not changed.", file=sys.stderr)
        else:
            write_threshold(config, calibration.threshold, summaries[primary]["calibration_note"])
            print(f"Wrote answer_threshold = {calibration.threshold} to {config}.", file=sys.stderr)
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


def _config_target(args, settings: Settings) -> Path:
    """Where calibration writes: --config, else the config file in use, else the one read from any
    folder (faqbot.toml at the top of a checkout, or in the user's config folder when installed)."""
    if getattr(args, "config", None):
        return Path(args.config)
    if settings.config_file is not None:
        return Path(settings.config_file)
    return paths.config_candidates(Path.cwd())[-1]


def cmd_eval(args, settings: Settings) -> int:
    return evaluate_file(args, settings, calibrate=args.calibrate)


def cmd_calibrate(args, settings: Settings) -> int:
    return evaluate_file(args, settings, calibrate=True)


def add_arguments(parser, calibrate: bool) -> None:
    """The options of ``eval`` and ``calibrate``."""
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
    parser.add_argument("--config", metavar="FILE", help="config file calibration writes to (default: the one "
                                                        "in use, else faqbot.toml in the checkout or user config folder)")
    parser.add_argument("--dry-run", action="store_true", help="calibrate but do not write the config file")
