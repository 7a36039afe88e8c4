"""Two real `faqbot serve` replicas behind nginx, sharing one PostgreSQL and one Redis, under load
while things break: a replica killed with SIGKILL, PostgreSQL restarted, Redis gone."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import ROOT, SHOP_CORPUS, faqbot_command, free_port, wait_for_http
from tests.support.servers import Nginx

pytestmark = pytest.mark.slow
LIMIT = 30  # per client per minute; load clients each use fresh addresses, so only the limit test reaches it


class Replica:
    def __init__(self, name: str, tmp, env: dict, args: list[str]):
        self.port, self.log, self.env, self.args = free_port(), tmp / f"{name}.log", env, args
        self.start()

    def start(self) -> None:
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(faqbot_command("serve", "--port", str(self.port), *self.args),
                                            cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        wait_for_http(f"http://127.0.0.1:{self.port}/api/health", self.process)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres, redis_server):
    tmp = tmp_path_factory.mktemp("replicas")
    (tmp / "shop.md").write_text(SHOP_CORPUS)
    env = {**os.environ, "FAQBOT_DATABASE_URL": postgres.url, "FAQBOT_REDIS_URL": redis_server.url,
           "FAQBOT_TRUSTED_PROXIES": "127.0.0.1", "FAQBOT_RATE_LIMIT_PER_MINUTE": str(LIMIT),
           "FAQBOT_RELOAD_INTERVAL": "0", "FAQBOT_NETGUARD_LOG": str(tmp / "net.log")}
    args = ["--corpus", str(tmp / "shop.md"), "--index", str(tmp / "index")]
    first = Replica("a", tmp, env, args)  # builds the index; the second then finds it built
    second = Replica("b", tmp, env, args)
    nginx = Nginx([first.port, second.port])
    yield {"a": first, "b": second, "lb": nginx.url, "pg": postgres, "redis": redis_server}
    nginx.close()
    for replica in (first, second):
        replica.stop()


def post(url: str, body: dict, client: str, timeout: float = 20) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", "x-forwarded-for": client})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def load(base: str, seconds: float, tag: str, clients: int = 16) -> tuple[list[int], list[tuple[str, int, float]]]:
    """``clients`` threads asking and voting through ``base`` for ``seconds``; returns the ask
    statuses and (question, status, seconds taken) of every vote."""
    asks, votes, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        i = 0
        while time.monotonic() < deadline:
            address = f"10.{n}.{random.randrange(256)}.{random.randrange(1, 255)}"
            status = post(base + "/api/ask", {"question": f"When do you open? ({tag} {n}.{i})"}, address)
            question = f"{tag} vote {n}.{i}"
            start = time.monotonic()
            vote = post(base + "/api/feedback", {"question": question, "answer": "a", "cited_ids": ["hours"],
                                                 "vote": "up"}, address)
            with lock:
                asks.append(status)
                votes.append((question, vote, time.monotonic() - start))
            i += 1

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return asks, votes


def stored_votes(pg) -> set[str]:
    return {q for (q,) in pg.query("SELECT question FROM faqbot_feedback WHERE kind = 'vote'")}


def test_a_replica_killed_mid_run_loses_no_acknowledged_vote(cluster):
    killer = threading.Timer(2.0, cluster["a"].kill)
    killer.start()
    try:
        asks, votes = load(cluster["lb"], 6, "kill")
    finally:
        killer.join()
        cluster["a"].start()
    acknowledged = {q for q, status, _ in votes if status == 200}
    assert len(asks) > 50 and asks.count(200) == len(asks), f"{len(asks) - asks.count(200)} asks failed"
    assert acknowledged and not acknowledged - stored_votes(cluster["pg"])


def test_postgres_restarted_mid_run_answers_every_ask_and_votes_get_503_then_land(cluster):
    pg = cluster["pg"]

    def outage():
        time.sleep(1.5)
        pg.stop("immediate")
        time.sleep(2.5)
        pg.start()

    thread = threading.Thread(target=outage)
    thread.start()
    try:
        asks, votes = load(cluster["lb"], 7, "pg")
    finally:
        thread.join()
    assert asks.count(200) == len(asks), f"{len(asks) - asks.count(200)} asks failed"
    statuses = {status for _, status, _ in votes}
    assert statuses <= {200, 503} and 503 in statuses and 200 in statuses
    assert max(took for _, _, took in votes) < 10  # refused, not hung
    acknowledged = {q for q, status, _ in votes if status == 200}
    assert not acknowledged - stored_votes(pg)
    assert post(cluster["lb"] + "/api/feedback", {"question": "pg after", "answer": "a", "vote": "down"},
                "10.200.0.1") == 200
    assert "pg after" in stored_votes(pg)


def test_with_redis_down_both_replicas_keep_answering(cluster):
    cluster["redis"].stop()
    try:
        for replica in (cluster["a"], cluster["b"]):
            base = f"http://127.0.0.1:{replica.port}"
            assert [post(base + "/api/ask", {"question": "Do you deliver abroad?"}, f"10.201.0.{n}")
                    for n in range(5)] == [200] * 5
            assert "rate limits are per process" in replica.log.read_text()
    finally:
        cluster["redis"].start()


def test_the_shared_rate_limit_holds_across_replicas(cluster):
    time.sleep(5.5)  # past the replicas' wait before trying Redis again after the last test
    a, b = (f"http://127.0.0.1:{cluster[name].port}/api/ask" for name in ("a", "b"))
    ask = {"question": "When do you open?"}
    statuses = [post(a if n % 2 else b, ask, "192.0.2.99") for n in range(LIMIT)]
    assert statuses == [200] * LIMIT
    assert post(a, ask, "192.0.2.99") == 429 and post(b, ask, "192.0.2.99") == 429
    assert post(cluster["lb"] + "/api/ask", ask, "192.0.2.99") == 429


def test_replicas_reading_one_published_index_switch_to_a_new_build_without_a_failed_request(tmp_path):
    """Replicas (on one machine here; a shared folder in production) serve the same index folder;
    a publisher builds a new version into it; every replica swaps it in while asks keep working,
    and no replica writes into the folder."""
    corpus = tmp_path / "shop.md"
    corpus.write_text(SHOP_CORPUS)
    shared = tmp_path / "published-index"
    publish = faqbot_command("index", "--corpus", str(corpus), "--index", str(shared))
    assert subprocess.run(publish, cwd=ROOT, capture_output=True, timeout=600).returncode == 0
    env = {**os.environ, "FAQBOT_RELOAD_INTERVAL": "0.3", "FAQBOT_RATE_LIMIT_PER_MINUTE": "0",
           "FAQBOT_NETGUARD_LOG": str(tmp_path / "net.log")}
    # The corpus is read only to check the index is fresh; the replicas never build.
    args = ["--corpus", str(corpus), "--index", str(shared)]
    replicas = [Replica(name, tmp_path, {**env, "FAQBOT_DATA_DIR": str(tmp_path / f"data-{name}")}, args)
                for name in ("a", "b")]
    nginx = Nginx([r.port for r in replicas])
    try:
        def built_at(replica) -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{replica.port}/api/health", timeout=10) as response:
                return json.loads(response.read())["index_built_at"]

        before = {built_at(r) for r in replicas}
        untouched = {p: p.stat().st_mtime_ns for p in shared.rglob("*")}
        corpus.write_text(SHOP_CORPUS + "\n## Do you sell gift cards?\nid: gift-cards\n\n"
                          "Yes, gift cards from ten to a hundred pounds, in the shop and online.\n")
        statuses: list[int] = []
        stop = threading.Event()

        def ask_all_the_time() -> None:
            while not stop.is_set():
                statuses.append(post(nginx.url + "/api/ask", {"question": "Do you sell gift cards?"}, "10.9.9.9"))

        threads = [threading.Thread(target=ask_all_the_time) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            # Serving only reads the published folder: nothing in it changed under load.
            assert {p: p.stat().st_mtime_ns for p in shared.rglob("*")} == untouched
            assert subprocess.run(publish, cwd=ROOT, capture_output=True, timeout=600).returncode == 0
            deadline = time.monotonic() + 30
            while any(built_at(r) in before for r in replicas) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(0.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert all(built_at(r) not in before for r in replicas), "a replica did not switch to the new build"
        assert statuses and statuses.count(200) == len(statuses), f"{len(statuses) - statuses.count(200)} asks failed"
        for replica in replicas:  # each now answers from the new entry
            request = urllib.request.Request(f"http://127.0.0.1:{replica.port}/api/ask", method="POST",
                                             data=json.dumps({"question": "Do you sell gift cards?"}).encode(),
                                             headers={"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert json.loads(response.read())["citations"][0]["id"] == "gift-cards"
    finally:
        nginx.close()
        for replica in replicas:
            replica.stop()
