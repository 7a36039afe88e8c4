"""Vectors of every view text of the latest build, kept beside the builds, so that a rebuild
embeds only the texts that changed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bot.encoders import DocumentEncoder

CACHE_FILE = "embedding-cache.npz"


def cache_key(model_name: str, text: str) -> bytes:
    return hashlib.blake2b(f"{model_name}\0{text}".encode(), digest_size=16).digest()


def embed_with_cache(texts: list[str], embedder: DocumentEncoder, cache_path: Path, progress: bool) -> tuple[np.ndarray, int]:
    """Embed ``texts``, reusing the vectors of texts embedded by an earlier build.

    Editing one entry of a large FAQ then re-embeds only that entry's views. The cache holds
    exactly the texts of the latest build (so it never outgrows the index) and is replaced
    atomically, so a killed build leaves the previous cache intact.

    Returns:
        The vectors (one row per text, in order) and how many came from the cache.
    """
    keys = [cache_key(embedder.name, t) for t in texts]
    known: dict[bytes, np.ndarray] = {}
    try:
        with np.load(cache_path) as cached:
            if cached["vectors"].shape[1:] == (embedder.dimension,):
                known = dict(zip(cached["keys"].tolist(), cached["vectors"]))
    except (OSError, ValueError, KeyError, EOFError):
        pass  # no cache yet, or an unreadable one: embed everything
    missing = [i for i, key in enumerate(keys) if key not in known]
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in known:
            vectors[i] = known[key]
    if missing:
        fresh = embedder.encode([texts[i] for i in missing], progress="Embedding FAQ" if progress else None)
        vectors[missing] = fresh
    tmp = cache_path.with_name(f".{cache_path.name}.tmp")
    with open(tmp, "wb") as handle:
        # "V16", not "S16": numpy strips trailing zero bytes from "S" strings, which would lose keys.
        np.savez(handle, keys=np.array(keys, dtype="V16"), vectors=vectors)
    os.replace(tmp, cache_path)
    return vectors, len(texts) - len(missing)
