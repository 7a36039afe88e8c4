"""Retrieval and answering quality, every retriever side by side, in one command:

    .venv/bin/python benchmarks/retrieval.py [--only threads,pairs,default] [--markdown]

- StackFAQ, threads and pairs variants: hit@1, Recall@5, MRR@10, nDCG@10 on rephrase group 0
  (where every weight was chosen), group 1 (never looked at while tuning) and all queries. No
  training on the queries. StackFAQ is not in the repository: it is read from the folder named
  by FAQBOT_STACKFAQ, else from ../shared/data/stackfaq beside the checkout (benchmarks/stackfaq.py);
  without it those parts are skipped with a note and the rest runs.
- The default corpus: the calibration half and the held-out half of the labeled questions
  (benchmarks/default_split.py): retrieval metrics and the answering metrics at the configured
  threshold (which was calibrated on the calibration half).

Each variant runs the bot's own evaluation path (bot.evaluation.run.run_questions: the same
steps as `faqbot eval`, indexes built fresh in a temporary folder) for dense, bm25 and hybrid, and
prints the eval run time. Below them, for evidence, the fusions that do *not* work, computed from
the scores the bot's dense ranking gives every entry (FAQBot.ask_ranked to full depth): the
weights around the chosen ones, unweighted reciprocal rank fusion of dense and BM25 (what txtai
and Haystack do), and a linear blend of dense and max-normalised BM25 with its weight chosen on
group 0.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from printing import print_table  # noqa: E402  (benchmarks/printing.py)
from stackfaq import skipped, stackfaq_folder, variant_files  # noqa: E402  (benchmarks/stackfaq.py)

from bot import offline  # noqa: E402,F401

VARIANTS = ("threads", "pairs")
DEFAULT_HALVES = {"calibration": ROOT / "benchmarks/data/default-calibration.jsonl",
                  "held-out": ROOT / "benchmarks/data/default-heldout.jsonl"}
METHODS = ["dense", "bm25", "hybrid"]
LINEAR_BM25_WEIGHTS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.08)


def open_bot(corpus: Path, index_dir: Path, embedder, **changes):
    from bot.config import load_settings
    from bot.corpus import corpus_fingerprint, load_corpus
    from bot.engine import FAQBot
    from bot.index import build_index, load_index

    settings = load_settings(corpus=corpus, index_dir=index_dir).replace(**changes)
    entries = load_corpus(settings.corpus, settings.duplicate_questions)
    build_index(entries, settings, embedder, corpus_fingerprint(settings.corpus), progress=False)
    return FAQBot(settings, embedder, load_index(settings.index_path))


def ranking_row(label: str, pairs) -> list:
    from bot.evaluation.metrics import retrieval_metrics

    m = retrieval_metrics(pairs)
    return [label, m["questions"], m["hit@1"], m["recall@5"], m["mrr@10"], m["ndcg@10"]]


def score_matrices(bot, results):
    """Per question and entry: cosine to the question views, to the qa views, BM25 and name
    coverage, so that other weights and fusions can be scored without re-running anything.
    The cosines are those of the bot's own dense ranking, taken to every entry."""
    import numpy as np

    from bot.engine import QuestionError

    entries = bot.index.entries
    position = {e.id: i for i, e in enumerate(entries)}
    questions = [r.question for r in results]
    shape = (len(questions), len(entries))
    q_scores, a_scores = np.full(shape, -1.0), np.full(shape, -1.0)
    for row, question in enumerate(questions):
        try:
            _, hits = bot.ask_ranked(question, len(entries), "dense")
        except QuestionError:  # refused (empty or too long): ranks nothing, as in the eval run
            continue
        for hit in hits:
            q_scores[row, position[hit.entry.id]] = hit.question_score
            a_scores[row, position[hit.entry.id]] = hit.answer_score
    bm25 = np.stack([bot.index.lexical.bm25_scores(q) for q in questions]).astype(float)
    names = np.stack([bot.index.lexical.name_coverage(q) for q in questions]).astype(float)
    return q_scores, a_scores, bm25, names


def weight_evidence(bot, results, group_of) -> list[list]:
    """hit@1 / MRR@10 per rephrase group for the weights around the chosen ones and for the
    fusions with plain BM25 that do not work."""
    import numpy as np

    from bot.evaluation.metrics import retrieval_metrics

    ids = [e.id for e in bot.index.entries]
    relevant = [set(r.expected) for r in results]
    groups = [group_of(r) for r in results]
    q, a, bm25, names = score_matrices(bot, results)
    bm25_max = bm25 / np.maximum(bm25.max(axis=1, keepdims=True), 1e-9)

    def metrics(scores, keep):
        order = np.argsort(-scores, axis=1, kind="stable")[:, :10]
        pairs = [([ids[j] for j in order[i]], relevant[i]) for i in range(len(results)) if keep(i)]
        m = retrieval_metrics(pairs)
        return [m["hit@1"], m["mrr@10"]]

    def row(label, scores):
        return [label, *metrics(scores, lambda i: groups[i] == "0"), *metrics(scores, lambda i: groups[i] == "1"),
                *metrics(scores, lambda i: True)]

    w = bot.settings.question_weight
    rows = [row(f"dense, question_weight {x}", x * q + (1 - x) * a) for x in (0.4, 0.5, 0.6, 0.7, 1.0)]
    rows += [row(f"hybrid, lexical_weight {x}", w * q + (1 - w) * a + x * names) for x in (0.02, 0.04, 0.06, 0.1)]
    dense = w * q + (1 - w) * a
    # Plain BM25 blended linearly, its weight chosen on group 0 like every other weight here.
    tune = [i for i in range(len(results)) if groups[i] == "0"]
    best = max(LINEAR_BM25_WEIGHTS, key=lambda x: sum(metrics(dense + x * bm25_max, lambda i: i in set(tune))))
    rows.append(row(f"dense + {best} x BM25/max (best on group 0)", dense + best * bm25_max))

    def ranks(scores):
        return np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1) + 1

    rows.append(row("RRF(dense, BM25), k=60, unweighted", 1 / (60 + ranks(dense)) + 1 / (60 + ranks(bm25))))
    return rows


def stackfaq_variant(name: str, folder: Path, embedder, tmp: Path, markdown: bool) -> None:
    from bot.evaluation.run import run_questions

    corpus, queries = variant_files(folder, name)
    started = time.perf_counter()
    bot = open_bot(corpus, tmp / name, embedder, duplicate_questions="allow")
    build_seconds = time.perf_counter() - started
    run = run_questions(bot, queries, METHODS, out=None)
    if run.stopped_at:
        raise SystemExit(f"benchmark questions file is malformed: {run.stopped_at}")
    group = lambda r: str(r.fields.get("rephr_group"))  # noqa: E731
    rows = []
    for method in METHODS:
        results = run.results[method]
        for label, keep in (("group 0", "0"), ("group 1", "1"), ("all", None)):
            chosen = [r for r in results if keep is None or group(r) == keep]
            rows.append(ranking_row(f"{method:6s} {label}", [(r.returned, set(r.expected)) for r in chosen]))
    from bot.evaluation.metrics import latency_metrics

    latency = {m: latency_metrics([r.latency_ms for r in run.results[m]]) for m in METHODS}
    print_table(f"StackFAQ {name}: {len(bot.index.entries)} entries, {len(run.results['dense'])} queries; "
                f"index build {build_seconds:.1f} s, eval of {len(METHODS)} retrievers {run.seconds:.1f} s "
                f"(one embedding per query shared by dense and hybrid)",
                ["retriever / queries", "n", "hit@1", "Recall@5", "MRR@10", "nDCG@10"], rows, markdown)
    print_table(f"StackFAQ {name}: latency per query (embedding included)", ["retriever", "p50 ms", "p95 ms"],
                [[m, latency[m]["median_ms"], latency[m]["p95_ms"]] for m in METHODS], markdown)

    rows = weight_evidence(bot, run.results["dense"], group)
    print_table(f"StackFAQ {name}: weights and fusions (hit@1 / MRR@10; weights chosen on group 0)",
                ["ranking", "g0 hit@1", "g0 MRR", "g1 hit@1", "g1 MRR", "all hit@1", "all MRR"], rows, markdown)


def default_corpus(embedder, tmp: Path, markdown: bool) -> None:
    from bot.evaluation.run import run_questions
    from bot.evaluation.summary import summarize
    from tests.support import DEFAULT_CORPUS

    bot = open_bot(DEFAULT_CORPUS, tmp / "default", embedder)
    rows, seconds = [], []
    for half, path in DEFAULT_HALVES.items():
        run = run_questions(bot, path, METHODS, out=None)
        if run.stopped_at:
            raise SystemExit(f"benchmark questions file is malformed: {run.stopped_at}")
        seconds.append(f"{half} {run.seconds:.1f} s")
        for method in METHODS:
            s = summarize(run.results[method], method, bot.judge.summary(),
                          calibrated=run.calibrated[method])
            a = s["answering"] or {}
            rows.append([f"{method:6s} {half}", s["answerable"], s["unanswerable"], s["retrieval"]["hit@1"],
                         s["retrieval"]["mrr@10"], s["retrieval"]["ndcg@10"], a.get("precision"), a.get("recall"),
                         a.get("f1"), a.get("accuracy"), s["latency"]["median_ms"]])
    print_table(f"Default corpus ({len(bot.index.entries)} entries), {bot.judge.summary()}; eval {', '.join(seconds)}",
                ["retriever / half", "answerable", "not in FAQ", "hit@1", "MRR@10", "nDCG@10", "ans. P", "ans. R",
                 "ans. F1", "handled right", "p50 ms"], rows, markdown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="threads,pairs,default", help="which of threads,pairs,default to run")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (for the README)")
    args = parser.parse_args()
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in (*VARIANTS, "default")]
    if unknown:
        raise SystemExit(f"unknown part {', '.join(map(repr, unknown))} (known: threads, pairs, default)")

    import logging

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    from bot.config import load_settings
    from bot.encoders.torch_encoder import Embedder

    settings = load_settings()
    print(f"retriever settings: question_weight {settings.question_weight}, lexical_weight "
          f"{settings.lexical_weight}, answer_threshold {settings.answer_threshold or 'auto (self-calibrated)'}")
    folder = stackfaq_folder() if any(w in VARIANTS for w in wanted) else None
    if folder is None and any(w in VARIANTS for w in wanted):
        print(skipped(f"the {' and '.join(w for w in wanted if w in VARIANTS)} tables are skipped"))
    started = time.perf_counter()
    embedder = Embedder(settings.model)
    with tempfile.TemporaryDirectory() as tmp:
        for name in wanted:
            if name == "default":
                default_corpus(embedder, Path(tmp), args.markdown)
            elif folder is not None:
                stackfaq_variant(name, folder, embedder, Path(tmp), args.markdown)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
