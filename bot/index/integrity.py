"""Is a build on disk what was written? Sizes and checksums of its files, and the vectors' lengths.

A build records the size and SHA-256 of each of its files in its manifest ("files"); loading
compares them before any parser sees the bytes, because FAISS, numpy and json given damaged
bytes may raise anything, allocate what a garbled count says, or worse, load quietly wrong data
(zeroed vectors make every question "not in our FAQ").

Files up to ``FULL_CHECK_BYTES`` are hashed whole on every load (FAQ-sized builds: well under a
millisecond a file). Larger ones, an IVF index of a million views (1.5 GB) say, would take seconds
to hash; they are checked by size and by the hash of ``SAMPLE_CHUNKS`` chunks spread evenly
through the file (recorded as "sample_sha256"), which catches truncation, a zeroed or overwritten
stretch of any real length, and a swapped file, though not every single flipped byte.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import numpy as np

FULL_CHECK_BYTES = 256 << 20  # about 0.25 s of SHA-256 here
SAMPLE_CHUNKS, SAMPLE_CHUNK_BYTES = 64, 64 << 10
# Embeddings are L2-normalised: float32 rounding moves a norm by ~1e-7; damage moves it a lot.
NORM_TOLERANCE = 1e-3
NORM_SAMPLE_ROWS = 4096  # vectors an IVF index must reconstruct to be checked: a sample, not all


def file_records(folder: Path) -> dict[str, dict]:
    """Size and SHA-256 of every file of a build except its manifest, by path inside the build."""
    records = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            size = path.stat().st_size
            record = {"bytes": size, "sha256": _sha256(path)}
            if size > FULL_CHECK_BYTES:
                record["sample_sha256"] = _sample_sha256(path, size)
            records[path.relative_to(folder).as_posix()] = record
    return records


def file_damage(folder: Path, records: object, required: tuple[str, ...] = ()) -> str | None:
    """What differs between the files of the build at ``folder`` and ``records`` (None: nothing);
    each of ``required`` must be among the records, so that none is read unchecked."""
    if not isinstance(records, dict) or not records:
        return "its manifest lists no file checksums"
    unlisted = [name for name in required if name not in records]
    if unlisted:
        return f"its manifest lists no checksum for {', '.join(unlisted)}"
    for name, record in records.items():
        # os.path rather than pathlib: this runs for every file on every load
        if not isinstance(record, dict) or not isinstance(name, str) or name.startswith("/") \
                or ".." in name.split("/"):
            return f"its manifest's entry for {name!r} is not a file of the build"
        path = os.path.join(folder, name)
        try:
            info = os.stat(path)
        except OSError:
            return f"{name} is missing"
        if not stat.S_ISREG(info.st_mode):
            return f"{name} is not a file"
        if info.st_size != record.get("bytes"):
            return f"{name} has {info.st_size} bytes where {record.get('bytes')} were written"
        if info.st_size <= FULL_CHECK_BYTES:
            matches = _sha256(path) == record.get("sha256")
        else:
            matches = _sample_sha256(path, info.st_size) == record.get("sample_sha256")
        if not matches:
            return f"{name} is not the file that was written (checksum differs)"
    return None


def vector_damage(vectors) -> str | None:
    """Which stored vector is not unit length (zeroed, NaN, overwritten), if any. ``vectors`` is
    a numpy array (checked whole) or rows reconstructed on demand (checked on a sample)."""
    count = len(vectors)
    if count == 0:
        return None
    if isinstance(vectors, np.ndarray):
        rows = np.arange(count)
        squared = np.einsum("ij,ij->i", vectors, vectors)  # no copy of the vectors
    else:
        rows = np.unique(np.linspace(0, count - 1, min(count, NORM_SAMPLE_ROWS)).astype(np.int64))
        sample = vectors[rows]
        squared = np.einsum("ij,ij->i", sample, sample)
    bad = ~(np.abs(squared - 1.0) <= 2 * NORM_TOLERANCE)  # NaN compares False, so it counts as bad
    if not bad.any():
        return None
    first = int(np.argmax(bad))
    return (f"{int(bad.sum())} stored vector(s) are not unit length "
            f"(view {int(rows[first])} has length {float(np.sqrt(abs(squared[first]))):.3g})")


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def _sample_sha256(path: Path, size: int) -> str:
    digest = hashlib.sha256(str(size).encode())
    last = max(size - SAMPLE_CHUNK_BYTES, 0)
    with open(path, "rb") as handle:
        for offset in np.linspace(0, last, SAMPLE_CHUNKS).astype(np.int64):
            handle.seek(int(offset))
            digest.update(handle.read(SAMPLE_CHUNK_BYTES))
    return digest.hexdigest()
