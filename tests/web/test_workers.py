"""`faqbot serve --workers N` for real: several processes on one port, each answering; a worker
that dies is replaced; and a server that had to build its index (and export the model, which
needs torch) on first start serves without torch loaded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import ROOT, SHOP_CORPUS, faqbot_command, free_port, wait_for_http

pytestmark = pytest.mark.slow


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return sorted(int(p) for p in found)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def has_torch(pid: int) -> bool:
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def ask(base: str, n: int) -> int:
    request = urllib.request.Request(base + "/api/ask", method="POST", headers={"content-type": "application/json"},
                                     data=json.dumps({"question": f"When do you open? ({n})"}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.status


def start(tmp: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """A server on a fresh home: nothing built, no exported model."""
    (tmp / "shop.md").write_text(SHOP_CORPUS)
    port = free_port()
    env = {**os.environ, "FAQBOT_HOME": str(tmp / "home"), "FAQBOT_RATE_LIMIT_PER_MINUTE": "0",
           "FAQBOT_NETGUARD_LOG": str(tmp / "net.log")}
    process = subprocess.Popen(faqbot_command("serve", "--port", str(port), "--corpus", str(tmp / "shop.md"), *args),
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/api/health", process, timeout=300)
    return process, base


def test_a_server_that_built_its_index_on_first_start_serves_without_torch(tmp_path):
    process, base = start(tmp_path)
    try:
        assert ask(base, 0) == 200
        assert not has_torch(process.pid)
        assert children(process.pid) == []  # the build ran in a child that has exited
        assert rss_mb(process.pid) < 350, f"{rss_mb(process.pid):.0f} MB"
        assert (tmp_path / "home" / "index" / "encoders").is_dir()  # the model was exported, by the child
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "building it from" in output and "Exporting the model" in output


def test_workers_share_the_port_and_a_dead_worker_is_replaced(tmp_path):
    process, base = start(tmp_path, "--workers", "2")
    try:
        deadline = time.monotonic() + 30
        while len(children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = children(process.pid)
        assert len(workers) == 2 and not any(has_torch(pid) for pid in [process.pid, *workers])
        time.sleep(2)  # both workers loaded
        before = {pid: cpu_ticks(pid) for pid in workers}
        with ThreadPoolExecutor(8) as pool:  # a new connection per request: the kernel picks a worker each time
            assert set(pool.map(lambda n: ask(base, n), range(200))) == {200}
        assert all(cpu_ticks(pid) > before[pid] + 10 for pid in workers), "a worker answered nothing"

        os.kill(workers[0], signal.SIGKILL)
        # Connections queued on the killed worker's own socket die with it (as with any server
        # process killed); once it is gone, the kernel sends every new connection to the other.
        deadline = time.monotonic() + 10
        while gone_or_zombie(workers[0]) is False and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the kernel drops the dead worker's socket (and resets its queue) just after
        with ThreadPoolExecutor(4) as pool:  # the other worker answers meanwhile
            assert set(pool.map(lambda n: ask(base, n), range(40))) == {200}
        deadline = time.monotonic() + 30
        while (len(children(process.pid)) < 2 or workers[0] in children(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(children(process.pid)) == 2 and workers[0] not in children(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert "Starting 2 worker processes" in output and "starting another" in output


def gone_or_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
