"""The fast query path: ONNX encoding verified against torch, no torch import when serving,
the answer cache, incremental reindexing, and swapping in a rebuilt index under load."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from bot import onnx_encoder
from bot.config import DEFAULT_CORPUS, load_settings
from bot.corpus import corpus_fingerprint, load_corpus
from bot.embedder import resolve_model_path
from bot.engine import FAQBot, open_query_encoder
from bot.index import build_index, load_index
from tests.conftest import DATA, ROOT, faqbot_command, free_port, read_jsonl, wait_for_http


@pytest.fixture(scope="module")
def onnx_bot(tmp_path_factory, embedder):
    """The default corpus served the way `faqbot serve` does: with the ONNX query encoder."""
    settings = load_settings(corpus=DEFAULT_CORPUS, index_dir=tmp_path_factory.mktemp("onnx-index"))
    build_index(load_corpus(settings.corpus), settings, embedder, corpus_fingerprint(settings.corpus), progress=False)
    index = load_index(settings.index_path)
    encoder = open_query_encoder(settings, index, lambda: embedder, log=print)
    return FAQBot(settings, encoder, index)


def test_onnx_encoder_matches_torch_on_visitor_questions(onnx_bot, embedder):
    assert isinstance(onnx_bot.embedder, onnx_encoder.OnnxQueryEncoder)
    questions = [r["question"] for r in read_jsonl(DATA / "visitor_questions.jsonl")]
    fast = np.stack([onnx_bot.embedder.encode_query(q) for q in questions])
    reference = embedder.encode(questions)
    cosines = (fast * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines.min()


def test_onnx_and_torch_paths_give_the_same_answers(onnx_bot, default_bot):
    for row in read_jsonl(DATA / "visitor_questions.jsonl")[:40]:
        fast, slow = onnx_bot.ask(row["question"]), default_bot.ask(row["question"])
        assert [c.id for c in fast.citations] == [c.id for c in slow.citations]
        assert fast.answered == slow.answered and abs(fast.confidence - slow.confidence) < 0.01


def test_an_export_that_does_not_verify_is_not_used(onnx_bot, embedder, tmp_path):
    folder = onnx_encoder.export_folder(onnx_bot.settings.index_path, onnx_bot.settings.model)
    model_path = resolve_model_path(onnx_bot.settings.model)
    copy = tmp_path / "onnx"
    shutil.copytree(folder, copy)
    record = json.loads((copy / onnx_encoder.CHECK_FILE).read_text())
    assert onnx_encoder.load_verified(copy, model_path, onnx_bot.settings.model) is not None
    (copy / onnx_encoder.CHECK_FILE).write_text(json.dumps({**record, "ok": False, "min_cosine": 0.9}))
    assert onnx_encoder.load_verified(copy, model_path, onnx_bot.settings.model) is None
    (copy / onnx_encoder.CHECK_FILE).write_text(json.dumps({**record, "model_files": [["other", 1, 1]]}))
    assert onnx_encoder.load_verified(copy, model_path, onnx_bot.settings.model) is None
    torch_only = load_settings(corpus=DEFAULT_CORPUS, index_dir=onnx_bot.settings.index_path, query_encoder="torch")
    assert open_query_encoder(torch_only, onnx_bot.index, lambda: embedder) is embedder


def test_serving_a_question_never_imports_torch(onnx_bot):
    # `faqbot ask` on a built index with a verified export: the whole query path without torch.
    code = ("import sys; from bot.cli import main; code = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules, 'torch imported'; "
            "sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", code, "ask", "pmo salary?", "--json",
                             "--index", str(onnx_bot.settings.index_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["citations"][0]["id"] == "pmo-pay"


def test_repeated_questions_come_from_the_cache(onnx_bot):
    first = onnx_bot.ask("Is PMO an admin job?")
    again = onnx_bot.ask("is pmo an ADMIN job?")
    assert again.citations is first.citations  # the same answer object's parts: not recomputed
    assert again.question == "is pmo an ADMIN job?"
    assert onnx_bot.ask("Is PMO an admin job?", top_k=1).suggestions == []  # top_k is part of the key


def test_changing_one_entry_re_embeds_only_its_views(tmp_path, embedder):
    corpus = tmp_path / "faq.jsonl"
    rows = [{"id": f"e{i}", "question": f"How do I use feature {i}?", "answer": f"Open menu {i} and pick it."}
            for i in range(30)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    settings = load_settings(corpus=corpus, index_dir=tmp_path / "index")

    def build():
        path = build_index(load_corpus(corpus), settings, embedder, corpus_fingerprint(corpus), progress=False)
        return json.loads((path / "manifest.json").read_text())

    assert build()["views_embedded"] == 60
    rows[7]["answer"] = "Feature seven moved to the settings page."
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    manifest = build()
    assert (manifest["views_embedded"], manifest["views_reused"]) == (1, 59)  # its question view is unchanged
    loaded = load_index(settings.index_path)
    fresh = embedder.encode([v.text for v in loaded.views])
    assert np.allclose(loaded.vectors, fresh, atol=1e-5)  # reused vectors sit in the right rows


CONTRACT = {"question", "answered", "answer", "confidence", "citations", "suggestions"}


def post_json(url, body, timeout=30):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A real server on a corpus the test can change, with the rate limit off for load."""
    tmp = tmp_path_factory.mktemp("live")
    corpus = tmp / "shop.jsonl"
    corpus.write_text(json.dumps({"id": "hours", "question": "What are your opening hours?",
                                  "answer": "We open at nine and close at six."}) + "\n")
    port = free_port()
    env = {**os.environ, "FAQBOT_RATE_LIMIT_PER_MINUTE": "0", "FAQBOT_RELOAD_INTERVAL": "0.5",
           "FAQBOT_DATA_DIR": str(tmp / "data"), "FAQBOT_NETGUARD_LOG": str(tmp / "net.log")}
    args = ("--corpus", str(corpus), "--index", str(tmp / "index"))
    process = subprocess.Popen(faqbot_command("serve", "--port", str(port), *args), cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/api/health", process)
        yield base, corpus, args, tmp
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_32_concurrent_clients_get_answers_and_every_vote_is_stored(live):
    base, _, _, tmp = live

    def client(n):
        outcomes = []
        for i in range(6):
            # Distinct questions, so the answer cache does not do the work.
            status, body = post_json(base + "/api/ask", {"question": f"client {n} asks, time {i}: when do you open?"})
            outcomes.append(status == 200 and set(body) == CONTRACT)
            status, _ = post_json(base + "/api/feedback", {"question": f"q{n}.{i}", "answer": "a",
                                                           "cited_ids": ["hours"], "vote": "up"})
            outcomes.append(status == 200)
        return outcomes

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = [ok for outcome in pool.map(client, range(32)) for ok in outcome]
    assert len(results) == 384 and all(results)
    from bot.feedback import FeedbackStore

    assert len([r for r in FeedbackStore(tmp / "data").rows() if r["kind"] == "vote"]) == 192


def test_rebuilt_index_is_swapped_in_while_requests_keep_succeeding(live):
    base, corpus, args, tmp = live
    stop = threading.Event()
    failures, answered = [], [0]

    def hammer():
        while not stop.is_set():
            try:
                status, body = post_json(base + "/api/ask", {"question": "when do you open?"})
                if status != 200 or body["citations"][0]["id"] != "hours":
                    failures.append((status, body))
                answered[0] += 1
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                failures.append(repr(exc))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    with corpus.open("a") as handle:
        handle.write(json.dumps({"id": "gift", "question": "Do you sell gift cards?",
                                 "answer": "Yes, gift cards are sold in every shop."}) + "\n")
    subprocess.run(faqbot_command("index", *args), cwd=ROOT, check=True, capture_output=True)
    with urllib.request.urlopen(base + "/api/health") as response:
        before = json.loads(response.read())["entries"]
    deadline = threading.Event()
    for _ in range(40):  # the server looks for a new build every 0.5 s
        _, body = post_json(base + "/api/ask", {"question": "can I buy a gift card?"})
        if body["answered"] and body["citations"][0]["id"] == "gift":
            break
        deadline.wait(0.25)
    stop.set()
    for thread in threads:
        thread.join()
    assert body["citations"][0]["id"] == "gift", body
    with urllib.request.urlopen(base + "/api/health") as response:
        assert json.loads(response.read())["entries"] == 2
    assert before in (1, 2)
    assert failures == [] and answered[0] > 20
    status, reload = post_json(base + "/api/reload", {})
    assert status == 200 and reload["reloaded"] is False  # already serving the newest build


def test_large_corpora_get_an_approximate_index_that_still_finds_the_answer(tmp_path, embedder):
    import faiss

    corpus = tmp_path / "faq.jsonl"
    rows = [{"id": f"e{i}", "question": f"Question {i} about topic {i % 7}?", "answer": f"Answer {i}."}
            for i in range(40)] + [{"id": "refund", "question": "Can I get my money back?",
                                    "answer": "Yes, refunds are paid within 14 days of a return."}]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # The threshold is a setting: lowered here so a small corpus takes the large-corpus path.
    settings = load_settings(corpus=corpus, index_dir=tmp_path / "index", ann_min_views=50, ivf_nprobe=2)
    build_index(load_corpus(corpus), settings, embedder, corpus_fingerprint(corpus), progress=False)
    loaded = load_index(settings.index_path)
    assert isinstance(loaded.faiss_index, faiss.IndexIVFFlat) and loaded.faiss_index.nprobe == 2
    assert loaded.manifest["faiss_index"] == "IndexIVFFlat(nlist=2, nprobe=2)"
    fresh = embedder.encode([v.text for v in loaded.views])
    assert np.allclose(loaded.vectors[[3, 0, 81]], fresh[[3, 0, 81]], atol=1e-5)
    assert np.allclose(np.asarray(loaded.vectors), fresh, atol=1e-5)
    assert FAQBot(settings, embedder, loaded).retriever.search("how do refunds work?", 1)[0].entry.id == "refund"


def test_embedding_cache_keeps_every_key(tmp_path, embedder):
    # Texts whose cache keys end in zero bytes must survive the round trip through the cache file.
    from bot.index import _cache_key, embed_with_cache

    texts = [f"text number {i}" for i in range(3000)]
    assert any(_cache_key(embedder.name, t).endswith(b"\0") for t in texts)
    cache = tmp_path / "cache.npz"
    _, reused = embed_with_cache(texts, embedder, cache, progress=False)
    assert reused == 0
    _, reused = embed_with_cache(texts, embedder, cache, progress=False)
    assert reused == len(texts)
