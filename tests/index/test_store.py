"""Index round trip, staleness, atomic builds (a SIGKILL mid-build keeps the old index), and
clear errors for damaged or mismatched indexes. Real model, real FAISS."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest

from bot.cli import main
from bot.corpus import corpus_fingerprint
from bot.engine import FAQBot, ensure_index
from bot.index import (
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    current_build,
    load_index,
    split_passages,
)
from tests.index.shop import build
from tests.support import ROOT, faqbot_command


def test_round_trip_keeps_entries_views_and_vectors(shop, embedder):
    build(shop, embedder)
    loaded = load_index(shop.index_path)
    assert [e.id for e in loaded.entries] == ["hours", "delivery"]
    assert loaded.manifest["entries"] == 2 and loaded.manifest["model"] == shop.model
    assert loaded.manifest["dimension"] == 384 and loaded.manifest["corpus_fingerprint"] == corpus_fingerprint(shop.corpus)
    # 3 question views + 2 question+answer views, stored vectors equal a fresh embedding
    assert [v.kind for v in loaded.views] == ["q", "q", "qa", "q", "qa"]
    fresh = embedder.encode([v.text for v in loaded.views])
    assert np.allclose(loaded.vectors, fresh, atol=1e-5)
    bot = FAQBot(shop, embedder, loaded)
    assert bot.ask("what time do you close?").citations[0].id == "hours"


def test_long_answers_are_split_into_passages():
    text = " ".join(f"Sentence number {i} has exactly seven words." for i in range(40))
    passages = split_passages(text, 50)
    assert len(passages) > 4 and all(len(p.split()) <= 50 for p in passages)
    assert " ".join(passages) == text


def test_stale_index_is_rebuilt_and_says_so(shop, embedder):
    messages = []
    assert ensure_index(shop, lambda: embedder, messages.append, progress=False).action == "built"
    assert ensure_index(shop, lambda: embedder, messages.append, progress=False).action == "fresh"
    first = current_build(shop.index_path)
    with open(shop.corpus / "shop.md", "a") as handle:
        handle.write("\n## Can I return an item?\nid: returns\nurl: https://example.org/returns\n\n"
                     "Yes, unused items can be returned within 30 days.\n")
    assert ensure_index(shop, lambda: embedder, messages.append, progress=False).action == "rebuilt"
    assert any("changed since the index was built" in m for m in messages)
    assert current_build(shop.index_path) != first
    bot = FAQBot(shop, embedder, load_index(shop.index_path))
    assert bot.retriever.search("how do I send an item back?", 1)[0].entry.id == "returns"


def test_sigkill_during_build_leaves_previous_index_usable(shop, embedder, tmp_path):
    build(shop, embedder)
    before = current_build(shop.index_path)
    # A corpus big enough that embedding takes seconds, so the kill lands mid-build.
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps({"id": f"e{i}", "question": f"Question number {i} about topic {i * 7}?",
                                       "answer": f"Answer {i}. " * 60}) + "\n" for i in range(600)))
    process = subprocess.Popen(faqbot_command("index", "--corpus", str(big), "--index", str(shop.index_path)),
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    stderr = b""
    while b"Embedding FAQ" not in stderr:  # the progress bar shows embedding has begun
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "build never started embedding"
        stderr += os.read(process.stderr.fileno(), 4096)
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert current_build(shop.index_path) == before
    loaded = load_index(shop.index_path)
    assert [e.id for e in loaded.entries] == ["hours", "delivery"]
    assert FAQBot(shop, embedder, loaded).ask("When do you open?").answered


def test_leftover_partial_build_is_ignored_then_cleaned(shop, embedder):
    build(shop, embedder)
    leftover = shop.index_path / "builds" / ".tmp-20000101T000000-deadbeef"
    leftover.mkdir()
    (leftover / "vectors.faiss").write_bytes(b"half a file")
    assert [e.id for e in load_index(shop.index_path).entries] == ["hours", "delivery"]
    build(shop, embedder)
    assert not leftover.exists()
    # older builds are pruned: the current one and one previous are kept
    build(shop, embedder)
    assert len([p for p in (shop.index_path / "builds").iterdir() if p.is_dir()]) == 2


def test_missing_and_damaged_index_errors_say_how_to_fix(shop, embedder, capsys):
    with pytest.raises(IndexMissing, match="faqbot index"):
        load_index(shop.index_path)
    build(shop, embedder)
    (current_build(shop.index_path) / "vectors.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorrupt, match="run `faqbot index` to rebuild it"):
        load_index(shop.index_path)
    assert main(["ask", "When are you open?", "--corpus", str(shop.corpus), "--index", str(shop.index_path)]) == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "faqbot index" in err and "Traceback" not in err


def test_index_built_with_another_model_is_a_clear_error(shop, embedder):
    build(shop, embedder)
    other = shop.replace(model="/models/some-other-model")
    with pytest.raises(IndexMismatch, match="built with model 'packaged:all-MiniLM-L6-v2'.*faqbot index"):
        ensure_index(other, lambda: embedder, lambda m: None, progress=False)
