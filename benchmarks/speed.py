"""Every speed figure of the README, in one command:

    .venv/bin/python benchmarks/speed.py [--sizes 1000,100000,1000000] [--quick]

1. The default corpus: full index build and an incremental rebuild after editing one entry;
   warm `ask` latency through the ONNX query encoder and through torch in the same run, each in
   its own process as a server would run it (answer cache off, so every question is really
   encoded and searched), and a repeated question from the cache; cold start of `faqbot ask` to its answer, and its peak memory, for both encoders.
2. Load: `/api/ask` and `/api/feedback` on a real `faqbot serve` over loopback, 32 concurrent
   clients, bounded in count and time; throughput, latency, errors, and feedback rows stored.
3. Incremental reindex at 10,000 entries: full build vs the rebuild after editing one entry.
4. Scale: synthetic passages at each size (vectors made by mixing and perturbing real embeddings,
   so they cluster like real text; embedding a million real passages would take hours here):
   the index the bot picks for that size (bot.index.vectors.VectorIndex), its build time, memory
   per passage, search latency through the bot's dense retriever (FAISS plus exact re-scoring of
   candidates), and recall@10 of the approximate index against exact search. The real embeddings
   mixed are the default corpus's and, when available, StackFAQ's (optional data, not in the
   repository: the folder named by FAQBOT_STACKFAQ, else ../shared/data/stackfaq beside the
   checkout; see benchmarks/stackfaq.py). Without StackFAQ the mix has fewer, less varied
   sources, so its figures are not comparable with a run that had it.

Medians, because the machine is shared and noisy. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from stackfaq import skipped, stackfaq_folder, variant_files  # noqa: E402  (benchmarks/stackfaq.py)

from bot import offline  # noqa: E402,F401
from bot.config import load_settings  # noqa: E402
from bot.corpus import Entry, corpus_fingerprint, load_corpus  # noqa: E402

QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "tests/data/visitor_questions.jsonl").open()]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def table(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n### {title}\n\n| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    sys.stdout.flush()


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def write_default_copy(folder: Path) -> Path:
    """A copy of the default corpus that the benchmark may edit."""
    corpus = folder / "corpus"
    corpus.mkdir()
    for file in (ROOT / "corpus").glob("*.md"):
        (corpus / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    return corpus


def run_cli(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run `faqbot ARGS` in a fresh process; returns (wall seconds, peak RSS in MB of that process)."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the (large) parent across fork+exec.
    code = ("import sys; from bot.cli import main; code = main(sys.argv[1:]); "
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0], file=sys.stderr); "
            "sys.exit(code)")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"faqbot {' '.join(args)} failed:\n{result.stderr}")
    return elapsed, int(result.stderr.strip().splitlines()[-1]) / 1024


def warm_ask_in_child(encoder: str, corpus: Path, index_dir: Path) -> list[float]:
    """Warm `ask` latencies (ms) over the visitor questions, measured in a fresh process."""
    result = subprocess.run([sys.executable, __file__, "--warm-ask-child", encoder, str(corpus), str(index_dir)],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def warm_ask_child(encoder: str, corpus: str, index_dir: str) -> None:
    from bot.engine import FAQBot

    bot = FAQBot.open(load_settings(corpus=corpus, index_dir=index_dir, query_encoder=encoder, answer_cache_size=0))
    for question in QUESTIONS[:20]:
        bot.ask(question)
    latencies = []
    for question in QUESTIONS:
        started = time.perf_counter()
        bot.ask(question)
        latencies.append((time.perf_counter() - started) * 1000)
    print(json.dumps(latencies))


def default_corpus(repeat: int) -> None:
    from bot.encoders.torch_encoder import Embedder
    from bot.engine import FAQBot, query_encoder_for
    from bot.index import build_index, load_index

    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_default_copy(Path(tmp))
        settings = load_settings(corpus=corpus, index_dir=Path(tmp) / "index", answer_cache_size=0)
        embedder = Embedder(settings.model)
        entries = load_corpus(corpus)
        build, full = timed(build_index, entries, settings, embedder, corpus_fingerprint(corpus), False)
        views = json.loads((build / "manifest.json").read_text())["views"]
        first = corpus / sorted(p.name for p in corpus.glob("*.md"))[0]
        first.write_text(first.read_text().replace("Yes, self-study is possible", "Yes, self-study is entirely possible"))
        _, incremental = timed(build_index, load_corpus(corpus), settings, embedder, corpus_fingerprint(corpus), False)

        index = load_index(settings.index_path)
        onnx_bot = FAQBot(settings, query_encoder_for(settings, index, lambda: embedder), index)  # exports once
        # Each path in its own process, as a server runs it: the ONNX one never imports torch, whose
        # idle worker threads would otherwise slow it. Processes alternate so both see the same load.
        latencies = {"auto": [], "torch": []}
        for _ in range(repeat):
            for encoder in ("auto", "torch"):
                latencies[encoder] += warm_ask_in_child(encoder, corpus, settings.index_path)
        latencies["onnx"] = latencies.pop("auto")
        cached_bot = FAQBot(settings.replace(answer_cache_size=256), onnx_bot.encoder, index)
        cached_bot.ask(QUESTIONS[0])
        cached = []
        for _ in range(200):
            started = time.perf_counter()
            cached_bot.ask(QUESTIONS[0])
            cached.append((time.perf_counter() - started) * 1000)

        index_args = ["ask", "What is the APM PFQ?", "--json", "--corpus", str(corpus), "--index", str(settings.index_path)]
        cold = {name: [run_cli(index_args, {"FAQBOT_QUERY_ENCODER": name}) for _ in range(repeat)]
                for name in ("auto", "torch")}

    onnx_median, torch_median = statistics.median(latencies["onnx"]), statistics.median(latencies["torch"])
    table(f"Default corpus ({len(entries)} entries, {views} views)", [
        ("index build, full (torch, 2 threads)", f"{full:.2f} s = {len(entries) / full:.0f} entries/s ({views / full:.0f} views/s)"),
        ("index build after editing one entry", f"{incremental:.2f} s ({full / incremental:.0f}x faster)"),
        ("warm ask, ONNX encoder: median / p95", f"{onnx_median:.2f} ms / {percentile(latencies['onnx'], 95):.2f} ms"),
        ("warm ask, torch encoder: median / p95", f"{torch_median:.2f} ms / {percentile(latencies['torch'], 95):.2f} ms"),
        ("ONNX / torch, same run", f"{onnx_median / torch_median:.2f}x"),
        ("repeated question (answer cache)", f"{statistics.median(cached) * 1000:.0f} µs median"),
        ("cold start to first answer, ONNX (`faqbot ask`)", f"{statistics.median(c[0] for c in cold['auto']):.2f} s"),
        ("cold start to first answer, torch", f"{statistics.median(c[0] for c in cold['torch']):.2f} s"),
        ("peak memory of `faqbot ask`, ONNX / torch",
         f"{max(c[1] for c in cold['auto']):.0f} MB / {max(c[1] for c in cold['torch']):.0f} MB RSS"),
    ])


def load_test(clients: int = 32, per_client: int = 50, time_limit: float = 60.0) -> None:
    """32 clients on loopback asking distinct questions and voting; bounded in count and time."""
    from tests.support import free_port, wait_for_http

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**os.environ, "FAQBOT_RATE_LIMIT_PER_MINUTE": "0", "FAQBOT_DATA_DIR": f"{tmp}/data"}
        index = f"{tmp}/index"
        server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port), "--index", index],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(base + "/api/health", server, timeout=300)
            deadline = time.monotonic() + time_limit
            latencies, errors, votes = [], [], [0]
            lock = threading.Lock()

            def post(path, body):
                request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                                 headers={"content-type": "application/json"})
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, json.loads(response.read())

            def client(number):
                for i in range(per_client):
                    if time.monotonic() > deadline:
                        return
                    question = f"{QUESTIONS[(number * per_client + i) % len(QUESTIONS)]} ({number}-{i})"
                    started = time.perf_counter()
                    try:
                        status, body = post("/api/ask", {"question": question})
                        ok = status == 200 and "answered" in body
                    except Exception as exc:  # noqa: BLE001 - every failure is counted
                        ok, body = False, repr(exc)
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        (latencies.append(elapsed) if ok else errors.append(body))
                    if i % 5 == 0:
                        try:
                            post("/api/feedback", {"question": question, "answer": "a", "cited_ids": [], "vote": "up"})
                            with lock:
                                votes[0] += 1
                        except Exception as exc:  # noqa: BLE001
                            with lock:
                                errors.append(repr(exc))

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                list(pool.map(client, range(clients)))
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        from bot.web.feedback import FeedbackStore

        stored = len([r for r in FeedbackStore(Path(tmp) / "data").rows() if r["kind"] == "vote"])
    table(f"`/api/ask` under load ({clients} concurrent clients, loopback, ONNX encoder)", [
        ("questions answered", f"{len(latencies)} in {wall:.1f} s = {len(latencies) / wall:.0f} questions/s"),
        ("latency median / p95", f"{statistics.median(latencies):.1f} ms / {percentile(latencies, 95):.1f} ms"),
        ("errors", str(len(errors))),
        ("votes sent concurrently / rows stored", f"{votes[0]} / {stored}"),
    ])


def incremental_at_scale(entries_count: int = 10_000) -> None:
    from bot.encoders.torch_encoder import Embedder
    from bot.index import build_index

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "faq.jsonl"
        rows = [{"id": f"e{i}", "question": f"How do I change setting {i} in the {i % 97} panel?",
                 "answer": f"Open the {i % 97} panel, find setting {i} and choose a new value, then save."}
                for i in range(entries_count)]
        corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
        settings = load_settings(corpus=corpus, index_dir=Path(tmp) / "index")
        embedder = Embedder(settings.model)
        _, full = timed(build_index, load_corpus(corpus), settings, embedder, corpus_fingerprint(corpus), False)
        rows[entries_count // 2]["answer"] = "This setting moved to the account page."
        corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
        build, one = timed(build_index, load_corpus(corpus), settings, embedder, corpus_fingerprint(corpus), False)
        manifest = json.loads((build / "manifest.json").read_text())
    table(f"Incremental reindex ({entries_count:,} entries, {manifest['views']:,} views)", [
        ("full build", f"{full:.1f} s = {entries_count / full:.0f} entries/s"),
        ("rebuild after editing one entry", f"{one:.2f} s ({manifest['views_embedded']} view embedded, "
                                            f"{manifest['views_reused']:,} reused)"),
        ("speed-up", f"{full / one:.0f}x"),
    ])


def synthetic_vectors(base: np.ndarray, count: int, rng: np.random.Generator, noise: float = 0.03) -> np.ndarray:
    """Vectors that cluster like text embeddings: a random mix of two real embeddings plus noise."""
    out = np.empty((count, base.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        i, j = rng.integers(0, len(base), n), rng.integers(0, len(base), n)
        a = rng.uniform(0.5, 1.0, (n, 1)).astype(np.float32)
        block = a * base[i] + (1 - a) * base[j] + rng.normal(0, noise, (n, base.shape[1])).astype(np.float32)
        out[start:start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def describe(params: dict) -> str:
    """The vector index as its manifest records it, e.g. "ivf_flat (nlist 1024, nprobe 16)"."""
    rest = ", ".join(f"{key} {value}" for key, value in params.items() if key != "type")
    return f"{params['type']} ({rest})" if rest else params["type"]


def index_bytes(index) -> float:
    """Bytes of the vector index: serialised while that is cheap, else the memory of its vectors,
    their ids and (IVF) its centroids, without serialising gigabytes just to measure them."""
    if index.count <= 200_000:
        return index.size_bytes()
    params = index.params
    if params["type"] == "ivf_flat":
        return index.count * (index.dimension * 4 + 8) + params["nlist"] * index.dimension * 4
    return index.count * index.dimension * 4


def scale(sizes: list[int], stackfaq: Path | None, queries: int = 100) -> None:
    from bot.encoders.torch_encoder import Embedder
    from bot.index import LoadedIndex, View
    from bot.index.vectors import VectorIndex, exact_neighbours
    from bot.retrievers import make_retriever

    settings = load_settings()
    default_entries = load_corpus(ROOT / "corpus")
    texts = [e.question for e in default_entries] + [e.answer[:500] for e in default_entries]
    if stackfaq is not None:
        pairs = [json.loads(line) for line in variant_files(stackfaq, "pairs")[0].open(encoding="utf-8")]
        texts += [r["question"] for r in pairs] + [r["answer"][:500] for r in pairs]
    base = Embedder(settings.model).encode(texts)
    rng = np.random.default_rng(7)
    rows = []
    for size in sizes:
        vectors = synthetic_vectors(base, size, rng)
        query_vectors = synthetic_vectors(base, queries, rng)
        index, build_seconds = timed(VectorIndex.build, vectors, settings.ann_min_views, settings.ivf_nprobe)
        size_bytes = index_bytes(index)  # as built and written; loading adds an IVF's id map (8 bytes a vector)
        # A minimal index: one question view per synthetic entry, searched by the bot's dense retriever.
        entries = [Entry(id=str(i), question="", answer="") for i in range(size)]
        views = [View(i, "q", "") for i in range(size)]
        loaded = LoadedIndex.assemble(Path("."), {}, entries, views, index)
        retriever = make_retriever("dense", loaded, None, settings.question_weight)
        for q in query_vectors[:5]:
            retriever.search_vector(q, 10)
        latencies, found = [], []
        for q in query_vectors:
            started = time.perf_counter()
            hits = retriever.search_vector(q, 10)
            latencies.append((time.perf_counter() - started) * 1000)
            found.append([int(h.entry.id) for h in hits])
        truth = exact_neighbours(vectors, query_vectors, 10)
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth.tolist())])
        rows.append((size, describe(index.params), build_seconds, size_bytes / size,
                     statistics.median(latencies), percentile(latencies, 95), recall))
        del entries, views, loaded, retriever, index, vectors
    print("\n### Scale (synthetic passages, one view each; search through the bot's retriever, top 10)\n")
    print("| passages | index chosen | build | index bytes / passage | search median / p95 | recall@10 vs exact |")
    print("|---|---|---|---|---|---|")
    for size, kind, build_seconds, per, median, p95, recall in rows:
        print(f"| {size:,} | {kind} | {build_seconds:.1f} s | {per:.0f} | {median:.2f} ms / {p95:.2f} ms | {recall:.3f} |")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000", help="passage counts for the scale table")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the latency and cold-start runs")
    parser.add_argument("--quick", action="store_true", help="small sizes and one round: a smoke run")
    parser.add_argument("--warm-ask-child", nargs=3, metavar=("ENCODER", "CORPUS", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warm_ask_child:
        return warm_ask_child(*args.warm_ask_child)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        sizes, args.repeat = [1000, 20_000], 1
    stackfaq = stackfaq_folder()
    started = time.perf_counter()
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    if stackfaq is None:
        print(skipped("the scale table mixes embeddings of the default corpus only"))
    default_corpus(args.repeat)
    load_test(per_client=10 if args.quick else 50)
    incremental_at_scale(1000 if args.quick else 10_000)
    scale(sizes, stackfaq)
    print(f"\nBenchmark run time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
