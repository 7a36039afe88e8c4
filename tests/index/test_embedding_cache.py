"""Rebuilds embed only what changed: the embedding cache."""

from __future__ import annotations

import json

import numpy as np

from bot.config import load_settings
from bot.corpus import corpus_fingerprint, load_corpus
from bot.index import build_index, load_index


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


def test_embedding_cache_keeps_every_key(tmp_path, embedder):
    # Texts whose cache keys end in zero bytes must survive the round trip through the cache file.
    from bot.index.embedding_cache import cache_key, embed_with_cache

    texts = [f"text number {i}" for i in range(3000)]
    assert any(cache_key(embedder.name, t).endswith(b"\0") for t in texts)
    cache = tmp_path / "cache.npz"
    _, reused = embed_with_cache(texts, embedder, cache, progress=False)
    assert reused == 0
    _, reused = embed_with_cache(texts, embedder, cache, progress=False)
    assert reused == len(texts)
