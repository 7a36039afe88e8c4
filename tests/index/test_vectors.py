"""Flat search for FAQ sizes, an approximate (IVF) index above a size threshold."""

from __future__ import annotations

import json

import numpy as np

from bot.config import load_settings
from bot.corpus import corpus_fingerprint, load_corpus
from bot.engine import FAQBot
from bot.index import build_index, load_index


def test_large_corpora_get_an_approximate_index_that_still_finds_the_answer(tmp_path, embedder):
    corpus = tmp_path / "faq.jsonl"
    rows = [{"id": f"e{i}", "question": f"Question {i} about topic {i % 7}?", "answer": f"Answer {i}."}
            for i in range(40)] + [{"id": "refund", "question": "Can I get my money back?",
                                    "answer": "Yes, refunds are paid within 14 days of a return."}]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # The threshold is a setting: lowered here so a small corpus takes the large-corpus path.
    settings = load_settings(corpus=corpus, index_dir=tmp_path / "index", ann_min_views=50, ivf_nprobe=2)
    build_index(load_corpus(corpus), settings, embedder, corpus_fingerprint(corpus), progress=False)
    loaded = load_index(settings.index_path)
    assert loaded.vector_index.params == {"type": "ivf_flat", "nlist": 2, "nprobe": 2}
    assert loaded.manifest["vector_index"] == {"type": "ivf_flat", "nlist": 2, "nprobe": 2}
    fresh = embedder.encode([v.text for v in loaded.views])
    assert np.allclose(loaded.vectors[[3, 0, 81]], fresh[[3, 0, 81]], atol=1e-5)
    assert np.allclose(np.asarray(loaded.vectors), fresh, atol=1e-5)
    assert FAQBot(settings, embedder, loaded).retriever.search("how do refunds work?", 1)[0].entry.id == "refund"
