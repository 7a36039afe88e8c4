"""Load benchmark of `faqbot serve`: latency (median/p95/p99) and throughput of POST /api/ask
for 1 and N worker processes, beside the in-process `FAQBot.ask` median for comparison.

    .venv/bin/python benchmarks/load.py [--workers 1,2] [--clients 32] [--seconds 10]

Each server runs on the default corpus with the answer cache and the rate limit off (so every
request does the real work) and feedback in a temporary folder. Latency is measured by one
client on one kept-alive connection (what the HTTP layer adds to `ask`); throughput by `wrk`
(Debian's package) with --clients connections when it is installed, else by client processes
written in Python (which compete with the server for the same cores: lower figures).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import free_port, seed_questions, wait_for_http  # noqa: E402

QUESTIONS = [q for section in seed_questions().values() for q in section]
WRK_SCRIPT = """
local bodies = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/ask", {["content-type"] = "application/json"}, bodies[(n %% #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%f %%f %%f %%f\\n", summary.requests, summary.errors.status +
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples_ms)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return statistics.median(ordered), pick(0.95), pick(0.99)


def in_process_ask(repeat: int) -> list[float]:
    from bot.config import load_settings
    from bot.engine import FAQBot

    bot = FAQBot.open(load_settings(answer_cache_size=0), progress=False)
    for q in QUESTIONS[:20]:
        bot.ask(q)  # warm up
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        bot.ask(QUESTIONS[i % len(QUESTIONS)])
        times.append((time.perf_counter() - start) * 1000)
    return times


def one_connection(port: int, repeat: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"content-type": "application/json"}
    times = []
    for i in range(repeat + 20):
        body = json.dumps({"question": QUESTIONS[i % len(QUESTIONS)]})
        start = time.perf_counter()
        conn.request("POST", "/api/ask", body, headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"/api/ask answered {response.status}")
        if i >= 20:  # the first requests warm up the server
            times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times


def _python_client(port: int, seconds: float, queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    end, times, errors, i = time.monotonic() + seconds, [], 0, os.getpid()
    while time.monotonic() < end:
        body = json.dumps({"question": QUESTIONS[i % len(QUESTIONS)]})
        i += 1
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/ask", body, {"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
            errors += response.status != 200
        except OSError:
            errors += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        times.append((time.perf_counter() - start) * 1000)
    queue.put((times, errors))


def throughput(port: int, clients: int, seconds: float) -> dict:
    if shutil.which("wrk"):
        bodies = ", ".join(json.dumps(json.dumps({"question": q})) for q in QUESTIONS)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % bodies)
        out = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "-s", script.name,
                              f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
        os.unlink(script.name)
        requests, errors, duration_us, p50, p95, p99, _ = re.search(r"RESULT (.*)", out).group(1).split()
        return {"tool": "wrk", "requests": int(requests), "errors": int(errors),
                "rps": int(requests) / (int(duration_us) / 1e6),
                "p50": float(p50) / 1000, "p95": float(p95) / 1000, "p99": float(p99) / 1000}
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    procs = [context.Process(target=_python_client, args=(port, seconds, queue)) for _ in range(clients)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    times = [t for r, _ in results for t in r]
    p50, p95, p99 = percentiles(times)
    return {"tool": "python", "requests": len(times), "errors": sum(e for _, e in results),
            "rps": len(times) / elapsed, "p50": p50, "p95": p95, "p99": p99}


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the workers), in MB."""
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                    text=True).stdout.split()]
    total = 0
    for p in pids:
        status = Path(f"/proc/{p}/status").read_text()
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return total / 1024


def run_server(workers: int, clients: int, seconds: float, repeat: int, data_dir: str, source: Path = ROOT) -> dict:
    """Start `faqbot serve` from the checkout ``source`` (the same index and model: FAQBOT_HOME is
    this checkout) and measure it."""
    port = free_port()
    env = {**os.environ, "FAQBOT_RATE_LIMIT_PER_MINUTE": "0", "FAQBOT_ANSWER_CACHE_SIZE": "0",
           "FAQBOT_RELOAD_INTERVAL": "0", "FAQBOT_DATA_DIR": data_dir, "FAQBOT_HOME": str(ROOT),
           "PYTHONPATH": str(source)}
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=source, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/health", process)
        time.sleep(1.0 if workers > 1 else 0.2)  # every worker up, not only the first
        latency = percentiles(one_connection(port, repeat))
        load = throughput(port, clients, seconds)
        return {"latency": latency, "load": load, "rss": rss_mb(process.pid)}
    finally:
        process.terminate()
        process.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default=f"1,{os.cpu_count()}", help="worker counts to measure (default 1,<cores>)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections for throughput")
    parser.add_argument("--seconds", type=float, default=10, help="length of each throughput run")
    parser.add_argument("--repeat", type=int, default=500, help="sequential requests for latency")
    parser.add_argument("--baseline", metavar="DIR", type=Path,
                        help="also measure one worker of another checkout, in the same run (e.g. the "
                             "previous release unpacked with `git archive`)")
    args = parser.parse_args(argv)
    counts = sorted({int(w) for w in args.workers.split(",")})

    ask = percentiles(in_process_ask(args.repeat))
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; throughput client: "
          f"{'wrk' if shutil.which('wrk') else 'Python processes'}, {args.clients} connections, {args.seconds:g} s\n")
    rows = []
    with tempfile.TemporaryDirectory() as data_dir:
        if args.baseline:
            rows.append(("baseline", run_server(1, args.clients, args.seconds, args.repeat, data_dir,
                                                args.baseline.resolve())))
        for workers in counts:
            rows.append((workers, run_server(workers, args.clients, args.seconds, args.repeat, data_dir)))
    print("| measure | " + " | ".join(
        "baseline, 1 worker" if w == "baseline" else f"{w} worker{'s' if w > 1 else ''}" for w, _ in rows) + " |")
    print("|---|" + "---|" * len(rows))
    print("| in-process `ask` median / p95 / p99 | " + " | ".join(
        f"{ask[0]:.2f} / {ask[1]:.2f} / {ask[2]:.2f} ms" for _ in rows) + " |")
    print("| `/api/ask`, one connection: median / p95 / p99 | " + " | ".join(
        f"{r['latency'][0]:.2f} / {r['latency'][1]:.2f} / {r['latency'][2]:.2f} ms" for _, r in rows) + " |")
    print("| HTTP overhead over `ask` (medians) | " + " | ".join(
        f"{r['latency'][0] - ask[0]:.2f} ms" for _, r in rows) + " |")
    print(f"| {args.clients} connections: requests/s | " + " | ".join(
        f"{r['load']['rps']:.0f}" for _, r in rows) + " |")
    print(f"| {args.clients} connections: median / p95 / p99 | " + " | ".join(
        f"{r['load']['p50']:.1f} / {r['load']['p95']:.1f} / {r['load']['p99']:.1f} ms" for _, r in rows) + " |")
    print("| errors | " + " | ".join(f"{r['load']['errors']} of {r['load']['requests']}" for _, r in rows) + " |")
    print("| server RSS after the run (all processes) | " + " | ".join(f"{r['rss']:.0f} MB" for _, r in rows) + " |")
    measured = {w: r for w, r in rows}
    if 1 in measured and len(counts) > 1:
        print(f"\nThroughput, {counts[-1]} workers / 1: {measured[counts[-1]]['load']['rps'] / measured[1]['load']['rps']:.2f}x")
    if "baseline" in measured and 1 in measured:
        before, after = measured["baseline"], measured[1]
        print(f"One worker against the baseline: HTTP overhead {before['latency'][0] - ask[0]:.2f} -> "
              f"{after['latency'][0] - ask[0]:.2f} ms, {before['load']['rps']:.0f} -> {after['load']['rps']:.0f} requests/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
