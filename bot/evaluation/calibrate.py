"""Choose the "not in the FAQ" threshold from labeled questions (bot.config.write_threshold
stores it).

Each labeled question gives a point (top score, should it be answered, is the top entry right).
Every threshold between two neighbouring scores is tried; the one that maximises the objective
wins, and ties go to the higher threshold (when two thresholds do equally well, the cautious one
guesses less). The threshold is put halfway between the two scores it separates, so a question
scoring a hair off a labeled one is decided the same way.

Objectives:
    f1        F1 of answering: "answered" against "the FAQ answers this" (the default).
    accuracy  the share of questions handled right: answered with a right entry, or declined
              when the FAQ does not answer it. Stricter: a wrong answer counts against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.evaluation.metrics import answering_metrics

OBJECTIVES = {
    "f1": "maximise F1 of answering (answered vs should answer)",
    "accuracy": "maximise the share of questions handled right (right answer, or declined when not in the FAQ)",
}


@dataclass
class Point:
    score: float  # the top entry's score
    should_answer: bool
    top_is_right: bool


@dataclass
class Calibration:
    threshold: float
    objective: str
    value: float  # the objective at the chosen threshold
    metrics: dict  # answering metrics at the chosen threshold
    questions: int


def decisions_at(points: list[Point], threshold: float) -> list[tuple[bool, bool, bool]]:
    return [(p.score >= threshold, p.should_answer, p.top_is_right) for p in points]


def objective_value(metrics: dict, objective: str) -> float:
    value = metrics["f1"] if objective == "f1" else metrics["accuracy"]
    return -1.0 if value is None else value


def choose_threshold(points: list[Point], objective: str = "f1") -> Calibration:
    """The threshold that maximises ``objective`` over ``points``.

    Args:
        points: one per labeled question, answerable or not; both kinds are needed.
        objective: a key of OBJECTIVES.

    Returns:
        the Calibration, with the answering metrics at the chosen threshold.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r} (known: {', '.join(OBJECTIVES)})")
    if not any(p.should_answer for p in points) or all(p.should_answer for p in points):
        raise ValueError("calibration needs labeled questions of both kinds: some the FAQ answers "
                         "(expected ids) and some it does not (expected: [])")
    scores = sorted({round(p.score, 6) for p in points})
    candidates = [scores[0] - 0.01] + [(a + b) / 2 for a, b in zip(scores, scores[1:])] + [scores[-1] + 0.01]
    best: tuple[float, float, dict] | None = None
    for threshold in candidates:
        metrics = answering_metrics(decisions_at(points, threshold))
        value = objective_value(metrics, objective)
        if best is None or value >= best[1]:  # ">=": ties go to the higher, more cautious threshold
            best = (threshold, value, metrics)
    threshold, value, metrics = best
    return Calibration(round(threshold, 4), objective, value, metrics, len(points))
