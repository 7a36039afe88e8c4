"""A bot over the bakery FAQ (12 entries, 4 alternate wordings: the kind of small FAQ an owner
writes by hand), built once for these tests with the real model."""

from __future__ import annotations

import pytest

from tests.support import ROOT

BAKERY = ROOT / "benchmarks" / "corpora" / "bakery" / "corpus"


@pytest.fixture(scope="session")
def bakery_bot(tmp_path_factory):
    from bot.config import load_settings
    from bot.engine import FAQBot

    settings = load_settings(corpus=BAKERY, home=tmp_path_factory.mktemp("bakery-home"), answer_threshold=None)
    return FAQBot.open(settings, log=lambda _: None, progress=False)
