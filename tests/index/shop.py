"""The small shop FAQ the index tests build (the `shop` fixture is in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings, load_settings
from bot.corpus import corpus_fingerprint, load_corpus
from bot.index import build_index

CORPUS = """# Shop

## What are your opening hours?
id: hours
also: When are you open?
url: https://example.org/hours

We open at nine in the morning and close at six in the evening, Monday to Saturday.

## Do you deliver abroad?
id: delivery
url: https://example.org/delivery

Yes, we ship to most countries in Europe. Delivery takes longer outside the UK.
"""


def make_shop(folder: Path) -> Settings:
    """Settings for the shop corpus written under ``folder``, its index in ``folder/index``."""
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "shop.md").write_text(CORPUS)
    return load_settings(corpus=corpus, index_dir=folder / "index")


def build(settings, embedder):
    return build_index(load_corpus(settings.corpus), settings, embedder, corpus_fingerprint(settings.corpus),
                       progress=False)
