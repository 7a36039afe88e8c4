"""Embedding many texts, for either encoder: batches of similar length (less work wasted on
padding), results back in input order, and a progress bar when asked."""

from __future__ import annotations

import sys
from typing import Callable

import numpy as np


def encode_in_batches(texts: list[str], dimension: int, batch_size: int, progress: str | None,
                      embed_batch: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Embed ``texts`` with ``embed_batch`` (a list of texts -> one row each); with ``progress``
    set, show a progress bar with that label on stderr."""
    vectors = np.zeros((len(texts), dimension), dtype=np.float32)
    bar = None
    if progress and len(texts) > batch_size:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc=progress, unit="text", file=sys.stderr, leave=False)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(texts), batch_size):
        rows = order[start:start + batch_size]
        vectors[rows] = embed_batch([texts[i] for i in rows])
        if bar:
            bar.update(len(rows))
    if bar:
        bar.close()
    return vectors
