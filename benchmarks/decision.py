"""Answer or decline on FAQs the bot has never seen, with zero labels: one command.

    .venv/bin/python benchmarks/decision.py [--fit] [--markdown]

Labeled corpora (benchmarks/corpora/<name>/: a corpus folder and questions.jsonl with visitor,
off-topic and near-miss questions; near-misses name the entries a suggestion may rightly offer):

- tuning (the decision model's weights are fitted on these, nothing else): the default corpus's
  calibration half (benchmarks/data/default-calibration.jsonl), bakery (12 entries), shop (30);
- held-out (never used for fitting or choosing anything): the default corpus's held-out half,
  council (60 entries), admissions (100), software (200); and StackFAQ threads (125 entries, 1,249
  paraphrase queries, all answerable) when it is available (benchmarks/stackfaq.py).

For each corpus it prints answering F1, off-topic and near-miss declined, handled right, and
suggestion precision, for the zero-label decision (bot/decision) beside the fixed 0.60 threshold
that served every corpus before. ``--fit`` first refits the weights on the tuning corpora and
writes bot/decision/weights.json. A suggestion counts as relevant when it is a labeled entry of
the question (expected, or related for a near-miss) or shares its topic (the corpus file's
heading); every suggestion shown for an off-topic question counts as irrelevant.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from printing import print_table  # noqa: E402  (benchmarks/printing.py)
from stackfaq import skipped, stackfaq_folder, variant_files  # noqa: E402  (benchmarks/stackfaq.py)

from bot import offline  # noqa: E402,F401

CORPORA = ROOT / "benchmarks" / "corpora"
WORK = ROOT / "index" / "benchmark-decision"  # indexes built here (index/ is not committed)
FIXED_THRESHOLD = 0.60
TUNING = {"default (calibration half)": ("default", ROOT / "benchmarks/data/default-calibration.jsonl"),
          "bakery": ("bakery", CORPORA / "bakery/questions.jsonl"),
          "shop": ("shop", CORPORA / "shop/questions.jsonl")}
HELD_OUT = {"default (held-out half)": ("default", ROOT / "benchmarks/data/default-heldout.jsonl"),
            "council": ("council", CORPORA / "council/questions.jsonl"),
            "admissions": ("admissions", CORPORA / "admissions/questions.jsonl"),
            "software": ("software", CORPORA / "software/questions.jsonl")}
DEPTH = 10


@dataclass
class Row:
    question: str
    kind: str  # visitor, off-topic or near-miss
    expected: list[str]
    related: list[str]
    hits: list = field(repr=False)
    features: dict = field(default_factory=dict)


def corpus_path(name: str) -> Path:
    return ROOT / "corpus" if name == "default" else CORPORA / name / "corpus"


def open_bot(name: str, corpus: Path, **changes):
    from bot.config import load_settings
    from bot.engine import FAQBot

    # The fixed threshold serves the bot itself here, so that reading the hits needs no weights
    # (--fit makes them); the zero-label judge is made separately from the index's profile.
    settings = load_settings(corpus=corpus, index_dir=WORK / name, answer_threshold=FIXED_THRESHOLD).replace(**changes)
    return FAQBot.open(settings, log=lambda _: None, progress=False)


def profile_of(bot):
    from bot.decision import CorpusProfile

    return CorpusProfile.from_json(bot.index.manifest["decision"])


def model_judge(bot, weights):
    from bot.decision import ModelJudge

    return ModelJudge(profile_of(bot), bot.index.lexical.bm25.vocabulary, weights)


def read_rows(bot, questions: Path) -> list[Row]:
    from bot.decision.judge import features

    rows = []
    for line in questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        expected = data.get("expected") or []
        kind = data.get("kind") or ("visitor" if expected else "off-topic")
        _, hits = bot.ask_ranked(data["question"], DEPTH)
        row = Row(data["question"], kind, expected, data.get("related", []), hits)
        row.features = features(row.question, hits, profile_of(bot), bot.index.lexical.bm25.vocabulary)
        rows.append(row)
    return rows


def old_suggestions(hits, answered: bool, top_k: int = 3) -> list:
    """What the bot offered before suggestions were filtered: simply the next nearest entries."""
    return hits[1:top_k] if answered else hits[:top_k]


def measure(rows: list[Row], decide, suggest, entries_by_id) -> dict:
    """Answering and suggestion figures for one way of deciding (``decide(row) -> bool``) and of
    suggesting (``suggest(row, answered) -> hits``)."""
    from bot.evaluation.metrics import answering_metrics

    decisions, shown, relevant, offtopic_shown = [], 0, 0, 0
    declined = {"off-topic": [0, 0], "near-miss": [0, 0]}
    for row in rows:
        answered = decide(row)
        decisions.append((answered, bool(row.expected), row.hits[0].entry.id in row.expected))
        if row.kind in declined:
            declined[row.kind][0] += not answered
            declined[row.kind][1] += 1
        labeled = set(row.expected) | set(row.related)
        topics = {entries_by_id[i].category for i in labeled if i in entries_by_id}
        offered = suggest(row, answered)
        shown += len(offered)
        if row.kind == "off-topic":
            offtopic_shown += bool(offered)
        else:
            relevant += sum(h.entry.id in labeled or h.entry.category in topics for h in offered)
    m = answering_metrics(decisions)
    share = lambda kind: declined[kind][0] / declined[kind][1] if declined[kind][1] else None  # noqa: E731
    return {"f1": m["f1"], "recall": m["recall"], "precision": m["precision"], "accuracy": m["accuracy"],
            "off_topic_declined": share("off-topic"), "near_miss_declined": share("near-miss"),
            "suggestion_precision": relevant / shown if shown else None, "suggestions": shown,
            "off_topic_with_suggestions": offtopic_shown / declined["off-topic"][1] if declined["off-topic"][1] else None}


def judged(bot, rows: list[Row], weights) -> dict:
    """The zero-label decision (the model with ``weights``) and the fixed threshold, side by side."""
    from bot.answer import compose
    from bot.decision import ThresholdJudge

    model = model_judge(bot, weights)
    fixed = ThresholdJudge(FIXED_THRESHOLD, bot.settings.confidence_slope)
    answers = {id(r): compose(r.question, r.hits, bot.settings.top_k, model, bot.settings.second_answer_margin)
               for r in rows}
    by_id = {e.id: e for e in bot.index.entries}
    hits_of = lambda row, ids: [next(h for h in row.hits if h.entry.id == i) for i in ids]  # noqa: E731
    after = measure(rows, lambda r: answers[id(r)].answered,
                    lambda r, _: hits_of(r, [s.id for s in answers[id(r)].suggestions]), by_id)
    before = measure(rows, lambda r: fixed.verdict(r.question, r.hits)[0],
                     lambda r, answered: old_suggestions(r.hits, answered), by_id)
    visitors = [r for r in rows if r.expected]
    hit1 = sum(r.hits[0].entry.id in r.expected for r in visitors) / len(visitors)
    return {"zero-label": after, "fixed 0.60": before, "hit@1": hit1, "entries": len(bot.index.entries),
            "questions": len(rows)}


def fit(rows: list[Row], l2: float = 1e-3, steps: int = 4000, rate: float = 0.5) -> dict:
    """Logistic regression (L2, standardised features) of "the FAQ answers this" on the features."""
    import numpy as np

    from bot.decision.judge import FEATURES

    x = np.array([[r.features[f] for f in FEATURES] for r in rows])
    y = np.array([1.0 if r.expected else 0.0 for r in rows])
    mean, scale = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        w -= rate * (z.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0])
    return {"mean": dict(zip(FEATURES, mean.round(6).tolist())), "scale": dict(zip(FEATURES, scale.round(6).tolist())),
            "coef": dict(zip(FEATURES, w[:-1].round(6).tolist())), "intercept": round(float(w[-1]), 6)}


def choose_cut(fitted: dict, tuning: dict[str, list[Row]], bots) -> tuple[float, float]:
    """The confidence an answer needs: the cut (0.30, 0.35 ... 0.80) with the highest mean share of
    tuning questions handled right (each corpus counts the same, whatever its size)."""
    from bot.decision.judge import Weights

    weights = Weights(fitted["mean"], fitted["scale"], fitted["coef"], fitted["intercept"], [], 0.5)
    best = (0.5, -1.0)
    for cut in [round(0.30 + 0.05 * i, 2) for i in range(11)]:
        shares = []
        for label, rows in tuning.items():
            by_id = {e.id: e for e in bots[TUNING[label][0]].index.entries}
            decide = lambda r: weights.probability(r.features) >= cut  # noqa: E731,B023
            shares.append(measure(rows, decide, lambda r, a: [], by_id)["accuracy"])
        mean = sum(shares) / len(shares)
        if mean > best[1] + 1e-9:
            best = (cut, mean)
    return best


def stackfaq_threads(weights) -> list | None:
    """Answering recall of StackFAQ's paraphrase queries (all answerable) at zero labels, and
    hit@1 / MRR@10, which the decision must leave unchanged."""
    folder = stackfaq_folder()
    if folder is None:
        print(skipped("StackFAQ threads"))
        return None
    from bot.answer import compose
    from bot.decision import ThresholdJudge

    corpus, queries = variant_files(folder, "threads")
    bot = open_bot("stackfaq-threads", corpus, duplicate_questions="allow")
    model = model_judge(bot, weights)
    fixed = ThresholdJudge(FIXED_THRESHOLD, bot.settings.confidence_slope)
    answered = {"zero-label": 0, "fixed 0.60": 0}
    hit1 = mrr = n = 0
    for line in queries.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        _, hits = bot.ask_ranked(data["query"], DEPTH)
        relevant = set(data["relevant"])
        ids = [h.entry.id for h in hits]
        n += 1
        hit1 += ids[0] in relevant
        mrr += next((1 / (i + 1) for i, e in enumerate(ids) if e in relevant), 0.0)
        answered["zero-label"] += compose(data["query"], hits, 3, model, bot.settings.second_answer_margin).answered
        answered["fixed 0.60"] += fixed.verdict(data["query"], hits)[0]
    return [len(bot.index.entries), n, hit1 / n, mrr / n, answered["zero-label"] / n, answered["fixed 0.60"] / n]


def seed_check(bot, weights) -> str:
    from bot.answer import compose
    from bot.corpus import load_corpus
    from tests.support import seed_questions

    judge = model_judge(bot, weights)
    owners = {q: e.id for e in load_corpus(bot.settings.corpus) for q in e.questions}
    seeds = [q for section in seed_questions().values() for q in section]
    right = 0
    for question in seeds:
        _, hits = bot.ask_ranked(question, DEPTH)
        answer = compose(question, hits, bot.settings.top_k, judge, bot.settings.second_answer_margin)
        right += answer.answered and answer.citations[0].id == owners[question]
    return f"{right}/{len(seeds)}"


def number(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="refit bot/decision/weights.json on the tuning corpora first")
    parser.add_argument("--markdown", action="store_true", help="print tables as Markdown")
    args = parser.parse_args()
    from bot.decision.judge import WEIGHTS_FILE, Weights

    started = time.perf_counter()
    bots, rows = {}, {}
    for label, (name, questions) in {**TUNING, **HELD_OUT}.items():
        if name not in bots:
            bots[name] = open_bot(name, corpus_path(name))
        rows[label] = read_rows(bots[name], questions)
    if args.fit:
        fitted = fit([r for label in TUNING for r in rows[label]])
        fitted["fitted_on"] = sorted(TUNING)
        fitted["min_confidence"], handled = choose_cut(fitted, {label: rows[label] for label in TUNING}, bots)
        WEIGHTS_FILE.write_text(json.dumps(fitted, indent=1) + "\n", encoding="utf-8")
        print(f"Fitted on {sum(len(rows[label]) for label in TUNING)} questions of {', '.join(TUNING)}; "
              f"answers from confidence {fitted['min_confidence']} (mean handled right on the tuning corpora "
              f"{handled:.3f}); wrote {WEIGHTS_FILE.relative_to(ROOT)}")
    weights = Weights.load()

    table = []
    for label, (name, _) in {**TUNING, **HELD_OUT}.items():
        result = judged(bots[name], rows[label], weights)
        role = "tuning" if label in TUNING else "held-out"
        for method in ("fixed 0.60", "zero-label"):
            m = result[method]
            table.append([f"{label} [{role}]", result["entries"], result["questions"], method, number(result["hit@1"]),
                          number(m["f1"]), number(m["off_topic_declined"]), number(m["near_miss_declined"]),
                          number(m["accuracy"]), number(m["suggestion_precision"]),
                          number(m["off_topic_with_suggestions"])])
    print_table("Answer or decline with zero labels, against the fixed 0.60 threshold (same hits)",
                ["corpus", "entries", "questions", "decision", "hit@1", "answering F1", "off-topic declined",
                 "near-miss declined", "handled right", "suggestion precision", "off-topic with suggestions"],
                table, args.markdown)
    trade = []
    for cut in (0.5, 0.6, 0.7, 0.8):
        judged_at = [measure(rows[label], lambda r: weights.probability(r.features) >= cut,  # noqa: B023
                             lambda r, a: [], {e.id: e for e in bots[HELD_OUT[label][0]].index.entries})
                     for label in HELD_OUT]
        mean = lambda key: sum(m[key] for m in judged_at) / len(judged_at)  # noqa: E731,B023
        trade.append([cut, number(mean("f1")), number(mean("off_topic_declined")), number(mean("near_miss_declined")),
                      number(mean("accuracy"))])
    print_table("min_confidence: answering against caution (means over the held-out corpora)",
                ["min_confidence", "answering F1", "off-topic declined", "near-miss declined", "handled right"],
                trade, args.markdown)
    print_table("Corpus profiles (measured at index time, no labels)", ["corpus", "profile"],
                [[name, profile_of(bot).describe()] for name, bot in bots.items()], args.markdown)
    print(f"\nDefault corpus seed questions answered from their own entry: {seed_check(bots['default'], weights)}")
    threads = stackfaq_threads(weights)
    if threads:
        print_table("StackFAQ threads [held-out; all queries answerable]",
                    ["entries", "queries", "hit@1", "MRR@10", "answered, zero-label", "answered, fixed 0.60"],
                    [[threads[0], threads[1], *(number(v) for v in threads[2:])]], args.markdown)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
