"""Ask every question of a questions file through the bot's own ask path
(``FAQBot.ask_ranked``: clean, embed, retrieve, compose, without the answer cache), so the
figures are the bot's own; the ranking is kept to depth 10 for the IR metrics. With several
retrievers each one answers every question in turn, and its latency is its own.

Rows are written to ``results.csv`` and ``results.jsonl`` as the run goes, so a run that stops
keeps every row it finished.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from bot.answer import Answer
from bot.engine import QuestionError
from bot.evaluation.metrics import first_relevant_rank
from bot.evaluation.questions import HISTORY_KEY, LabelResolver, QuestionFileError, read_questions

if TYPE_CHECKING:
    from bot.engine import FAQBot

RANK_DEPTH = 10
RESULT_COLUMNS = ["line", "question", "answered", "answer", "confidence", "score", "returned_ids", "expected_ids",
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
        self._csv.writerow(RESULT_COLUMNS)
        self._jsonl = open(folder / "results.jsonl", "w", encoding="utf-8")

    def write(self, result: QuestionResult) -> None:
        self._csv.writerow(result.csv_row())
        self._jsonl.write(json.dumps(result.json_row(), ensure_ascii=False) + "\n")
        self._csv_handle.flush()
        self._jsonl.flush()

    def close(self) -> None:
        self._csv_handle.close()
        self._jsonl.close()


def judge(answer: Answer, returned: list[str], expected: list[str] | None) -> tuple[bool | None, int | None]:
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
    # Per retriever: are its scores on the scale the answer threshold is set for?
    calibrated: dict[str, bool] = field(default_factory=dict)


def run_questions(bot: FAQBot, questions_file: Path, methods: list[str], out: Path | None,
                  on_row: Callable[[], None] | None = None) -> EvalRun:
    """Ask every question of ``questions_file`` with each retriever in ``methods``.

    Args:
        bot: an opened FAQBot.
        questions_file: JSONL or CSV (bot/evaluation/questions.py).
        methods: retriever names (bot.retrievers.RETRIEVERS).
        out: folder for the per-question files (a subfolder per retriever when several), or None.
        on_row: called after each question (e.g. to advance a progress bar).

    Returns:
        the results; ``stopped_at`` holds the error of a malformed row, the rows before it done.
    """
    files = {}
    if out is not None:
        files = {m: ResultFiles(out / m if len(methods) > 1 else out) for m in methods}
    results: dict[str, list[QuestionResult]] = {m: [] for m in methods}
    resolver = LabelResolver(bot.index.entries)
    # The first encode pays one-off set-up costs; keep them out of the per-question latency.
    bot.encoder.encode_query("warm-up")
    started = time.perf_counter()
    stopped_at = None
    try:
        for row in read_questions(questions_file, resolver):
            for method in methods:
                tick = time.perf_counter()
                try:
                    answer, hits = bot.ask_ranked(row.question, RANK_DEPTH, method, row.fields.get(HISTORY_KEY))
                except QuestionError as exc:
                    result = QuestionResult(row.line, row.question, False, str(exc), 0.0, None, [], row.expected,
                                            None if row.expected is None else not row.expected, None, 0.0, row.fields)
                else:
                    elapsed = (time.perf_counter() - tick) * 1000
                    returned = [h.entry.id for h in hits[:RANK_DEPTH]]
                    correct, rank = judge(answer, returned, row.expected)
                    result = QuestionResult(row.line, row.question, answer.answered, answer.answer, answer.confidence,
                                            hits[0].score if hits else None, returned, row.expected, correct, rank,
                                            elapsed, row.fields)
                results[method].append(result)
                if method in files:
                    files[method].write(result)
            if on_row:
                on_row()
    except QuestionFileError as exc:
        stopped_at = exc
    finally:
        for handle in files.values():
            handle.close()
    calibrated = {m: bot.retriever_named(m).calibrated for m in methods}
    return EvalRun(methods, results, time.perf_counter() - started, stopped_at, calibrated)
