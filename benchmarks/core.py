"""Core speed figures on the default corpus: warm `ask` latency, index build rate, cold start
to first answer and peak memory. Prints a table; run with `./run faqbot` 's Python:

    .venv/bin/python benchmarks/core.py [--repeat 5]

Medians over repeated runs, because these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import offline  # noqa: E402,F401


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds over the question set / cold starts")
    args = parser.parse_args()

    from bot.config import load_settings
    from bot.corpus import corpus_fingerprint, load_corpus
    from bot.embedder import Embedder
    from bot.engine import FAQBot
    from bot.index import build_index, load_index

    questions = [json.loads(line)["question"] for line in (ROOT / "tests/data/visitor_questions.jsonl").open()]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(index_dir=Path(tmp) / "index")
        entries = load_corpus(settings.corpus)
        embedder = Embedder(settings.model)
        fingerprint = corpus_fingerprint(settings.corpus)
        build_index(entries, settings, embedder, fingerprint, progress=False)  # warm-up
        build_times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            build = build_index(entries, settings, embedder, fingerprint, progress=False)
            build_times.append(time.perf_counter() - started)
        views = json.loads((build / "manifest.json").read_text())["views"]

        bot = FAQBot(settings, embedder, load_index(settings.index_path))
        for question in questions[:10]:
            bot.ask(question)  # warm-up
        latencies = []
        for _ in range(args.repeat):
            for question in questions:
                started = time.perf_counter()
                bot.ask(question)
                latencies.append((time.perf_counter() - started) * 1000)
        warm_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        cold, cold_rss = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "bot", "ask", "What is the APM PFQ?", "--json",
                            "--index", str(settings.index_path)], check=True, capture_output=True, cwd=ROOT)
            cold.append(time.perf_counter() - started)
            cold_rss.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)

    build_median = statistics.median(build_times)
    rows = [
        ("corpus", f"{len(entries)} entries, {views} views (default corpus)"),
        ("warm ask, median", f"{statistics.median(latencies):.2f} ms  ({len(latencies)} asks)"),
        ("warm ask, p95", f"{percentile(latencies, 95):.2f} ms"),
        ("index build, median", f"{build_median:.2f} s = {len(entries) / build_median:.0f} entries/s "
                                f"({views / build_median:.0f} views/s)"),
        ("cold start to first answer, median", f"{statistics.median(cold):.2f} s  (`faqbot ask`, index built)"),
        ("peak memory, `faqbot ask` process", f"{max(cold_rss):.0f} MB RSS"),
        ("peak memory, this benchmark process", f"{warm_rss_mb:.0f} MB RSS"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


if __name__ == "__main__":
    main()
