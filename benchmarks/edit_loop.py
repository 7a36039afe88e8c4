"""The owner's edit loop, timed: how long after editing the FAQ the bot answers from the edit.

    .venv/bin/python benchmarks/edit_loop.py [--sizes 58,10000] [--repeat 3]

For the default corpus (58 entries) and a synthetic one (10,000 entries), each in a fresh
FAQBOT_HOME whose model export already exists (made by the first build):
- `faqbot index` on an unchanged corpus (fingerprints only);
- one entry edited, then `faqbot index` and the next `faqbot ask` (each a fresh process);
- `faqbot serve --watch` (reload_interval 0.5 s): from saving the edit to the server answering
  from it, with questions asked throughout.
Wall time and peak RSS (VmHWM) of each process; medians, because the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from speed import run_cli, table, write_default_copy  # noqa: E402  (benchmarks/speed.py)

from tests.support import free_port, wait_for_http  # noqa: E402

WATCH_INTERVAL = 0.5


def synthetic_corpus(folder: Path, count: int) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir()
    rows = [{"id": f"e{i}", "question": f"How do I change setting {i} in the {i % 97} panel?",
             "answer": f"Open the {i % 97} panel, find setting {i} and choose a new value, then save."}
            for i in range(count)]
    (corpus / "faq.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return corpus


def edit(corpus: Path, n: int) -> str:
    """Change one entry's answer; returns a phrase only the edited answer contains."""
    marker = f"revision {n} of this answer"
    if (corpus / "faq.jsonl").exists():
        path = corpus / "faq.jsonl"
        text, count = re.subn(r'"answer": "Open the 0 panel, find setting 0[ :][^"]*"',
                              f'"answer": "Open the 0 panel, find setting 0: {marker}."', path.read_text(), count=1)
        assert count == 1, "the entry to edit was not found"
        path.write_text(text)
    else:
        path = corpus / "apm-qualifications.md"
        text, count = re.subn(r"^Yes[^,]*, you can prepare", f"Yes ({marker}), you can prepare", path.read_text(),
                              count=1, flags=re.M)
        assert count == 1, "the entry to edit was not found"
        path.write_text(text)
    return marker


def question_for(corpus: Path) -> str:
    return "How do I change setting 0 in the 0 panel?" if (corpus / "faq.jsonl").exists() else \
        "can I self study for APM?"


def ask(base: str, question: str) -> str:
    request = urllib.request.Request(base + "/api/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["answer"]


def watch_times(corpus: Path, env: dict, repeat: int) -> tuple[list[float], float, int]:
    """Seconds from saving an edit to `serve --watch` answering from it; server peak RSS; failures."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--watch", "--port", str(port), "--corpus",
                               str(corpus)], cwd=ROOT, env={**env, "FAQBOT_RELOAD_INTERVAL": str(WATCH_INTERVAL),
                                                            "FAQBOT_RATE_LIMIT_PER_MINUTE": "0"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base, question, times, failures = f"http://127.0.0.1:{port}", question_for(corpus), [], 0
    try:
        wait_for_http(base + "/api/health", server, timeout=600)
        for n in range(repeat):
            marker = edit(corpus, 100 + n)
            saved = time.perf_counter()
            while time.perf_counter() - saved < 120:
                try:
                    if marker in ask(base, question):
                        break
                except OSError:
                    failures += 1
                time.sleep(0.02)
            else:
                raise SystemExit("serve --watch did not answer from the edit within 120 s")
            times.append(time.perf_counter() - saved)
        peak = int(open(f"/proc/{server.pid}/status").read().split("VmHWM:")[1].split()[0]) / 1024
    finally:
        server.terminate()
        server.wait(timeout=60)
    return times, peak, failures


def measure(name: str, corpus: Path, home: Path, repeat: int) -> None:
    env = {**os.environ, "FAQBOT_HOME": str(home)}
    env.pop("FAQBOT_CONFIG", None)
    first, first_rss = run_cli(["index", "--corpus", str(corpus)], env)  # builds, and exports the model once
    unchanged = [run_cli(["index", "--corpus", str(corpus)], env) for _ in range(repeat)]
    edited = []
    for n in range(repeat):
        edit(corpus, n)
        index = run_cli(["index", "--corpus", str(corpus)], env)
        answer = run_cli(["ask", question_for(corpus), "--corpus", str(corpus)], env)
        edited.append((index[0] + answer[0], max(index[1], answer[1]), index[0], answer[0]))
    watched, watch_rss, failures = watch_times(corpus, env, repeat)

    def median(values):
        return statistics.median(values)

    table(f"Edit loop: {name}", [
        ("first build (torch, then the model exported)", f"{first:.1f} s, {first_rss:.0f} MB"),
        ("`faqbot index`, corpus unchanged", f"{median([u[0] for u in unchanged]):.2f} s, "
                                             f"{median([u[1] for u in unchanged]):.0f} MB"),
        ("one entry edited: `faqbot index` + next `faqbot ask`",
         f"{median([e[0] for e in edited]):.2f} s ({median([e[2] for e in edited]):.2f} + "
         f"{median([e[3] for e in edited]):.2f}), peak {median([e[1] for e in edited]):.0f} MB"),
        (f"`serve --watch` ({WATCH_INTERVAL} s interval): saved edit to answer",
         f"{median(watched):.2f} s median, {max(watched):.2f} s worst; server {watch_rss:.0f} MB; "
         f"{failures} failed requests"),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="58,10000", help="58 (the default corpus) and/or synthetic sizes")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            corpus = write_default_copy(folder) if size == 58 else synthetic_corpus(folder, size)
            measure("default corpus (58 entries)" if size == 58 else f"{size:,} entries", corpus, folder / "home",
                    args.repeat)
    print(f"\nBenchmark run time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
