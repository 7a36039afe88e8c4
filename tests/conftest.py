"""Fixtures: the real packaged model and real indexes, built once per test session. Helpers that
scripts and benchmarks use too are in tests/support."""

from __future__ import annotations

import pytest

from bot import offline  # noqa: F401
from bot.config import load_settings
from tests.support import DEFAULT_CORPUS


@pytest.fixture(scope="session")
def embedder():
    from bot.encoders.torch_encoder import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def default_bot(tmp_path_factory, embedder):
    """FAQBot over the default corpus, with its index built fresh in a temporary folder."""
    from bot.corpus import corpus_fingerprint, load_corpus
    from bot.engine import FAQBot
    from bot.index import build_index, load_index

    settings = load_settings(corpus=DEFAULT_CORPUS, index_dir=tmp_path_factory.mktemp("default-index"))
    build_index(load_corpus(settings.corpus), settings, embedder, corpus_fingerprint(settings.corpus), progress=False)
    return FAQBot(settings, embedder, load_index(settings.index_path))
