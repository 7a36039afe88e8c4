"""Fixtures of the index tests: a fresh copy of the small shop FAQ (tests/index/shop.py) per test."""

from __future__ import annotations

import pytest

from tests.index.shop import make_shop


@pytest.fixture
def shop(tmp_path):
    return make_shop(tmp_path)
