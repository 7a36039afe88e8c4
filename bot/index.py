"""Build, store and load the search index of a corpus.

Each entry is searchable through several *views*: its question, each alternate wording
("q" views), and its answer prefixed by its question, long answers split into passages
("qa" views). All view vectors go into one FAISS inner-product index (cosine, since the
vectors are normalised); search folds view hits back to one hit per entry.

On disk, ``INDEX_DIR/builds/<name>/`` holds one complete build (``vectors.faiss``,
``entries.json``, ``views.json``, ``lexical/`` with the BM25 side of retrieval (bot/lexical.py),
``manifest.json``) and ``INDEX_DIR/current`` names the build in use. A build is written to a
temporary folder and only then made current by atomically replacing that one small file, so a
build killed at any point leaves the previous index loadable.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

FORMAT_VERSION = 2  # 2: lexical/ (BM25 and name coverage) beside the vectors
# Vectors of every view text of the latest build, shared across builds: see embed_with_cache.
CACHE_FILE = "embedding-cache.npz"
KEEP_OLD_BUILDS = 1


class IndexProblem(Exception):
    """The index cannot be used; the message says how to fix it."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexMismatch(IndexProblem):
    pass


@dataclass
class View:
    entry: int  # position of the entry in the entries list
    kind: str  # "q" (question or alternate) or "qa" (question + answer passage)
    text: str


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    entries: list  # list[Entry]
    views: list[View]
    faiss_index: object
    vectors: np.ndarray  # (n_views, dim), for exact re-scoring of candidate entries
    rows_by_entry: list[np.ndarray]  # view rows of each entry
    is_q_view: np.ndarray  # bool per view
    lexical: object = None  # bot.lexical.LexicalIndex


def split_passages(text: str, max_words: int) -> list[str]:
    """Split an answer into passages of at most about ``max_words`` words, on sentence ends."""
    words = text.split()
    if len(words) <= max_words:
        return [" ".join(words)]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(words))
    passages, current = [], []
    for sentence in sentences:
        if current and len(" ".join(current + [sentence]).split()) > max_words:
            passages.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        passages.append(" ".join(current))
    return passages


def make_views(entries, passage_words: int) -> list[View]:
    views: list[View] = []
    for position, entry in enumerate(entries):
        for question in entry.questions:
            views.append(View(position, "q", question))
        for passage in split_passages(entry.answer, passage_words):
            views.append(View(position, "qa", f"{entry.question} {passage}"))
    return views


def build_signature(settings, fingerprint: str, model_name: str) -> dict:
    """Everything that, when changed, makes an existing build stale."""
    return {
        "format_version": FORMAT_VERSION,
        "corpus_fingerprint": fingerprint,
        "model": model_name,
        "passage_words": settings.passage_words,
    }


def build_index(entries, settings, embedder, fingerprint: str, progress: bool = True) -> Path:
    """Embed every view of ``entries`` and atomically make the result the current build."""
    import faiss

    from bot.lexical import LexicalIndex

    root = settings.index_path
    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _build_lock(root):
        _remove_leftovers(builds)
        views = make_views(entries, settings.passage_words)
        vectors, reused = embed_with_cache([v.text for v in views], embedder, root / CACHE_FILE, progress)
        index = make_vector_index(vectors, settings)
        lexical = LexicalIndex.build(entries)

        name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f") + f"-{fingerprint[:8]}"
        tmp = builds / f".tmp-{name}"
        tmp.mkdir()
        faiss.write_index(index, str(tmp / "vectors.faiss"))
        _write_json(tmp / "entries.json", [e.to_dict() for e in entries])
        _write_json(tmp / "views.json", [[v.entry, v.kind, v.text] for v in views])
        lexical.save(tmp / "lexical")
        _fsync_tree(tmp / "lexical")
        manifest = {
            **build_signature(settings, fingerprint, embedder.name),
            "dimension": embedder.dimension,
            "corpus": str(Path(settings.corpus).resolve()),
            "entries": len(entries),
            "views": len(views),
            "views_embedded": len(views) - reused,
            "views_reused": reused,
            "faiss_index": describe_vector_index(index),
            "build_seconds": round(time.perf_counter() - started, 3),
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        _write_json(tmp / "manifest.json", manifest)  # written last: a build without it is incomplete
        _fsync_dir(tmp)
        tmp.rename(builds / name)
        _fsync_dir(builds)
        pointer = root / ".current.tmp"
        pointer.write_text(name + "\n")
        _fsync_file(pointer)
        os.replace(pointer, root / "current")
        _fsync_dir(root)
        _prune(builds, keep=name)
    return builds / name


def _cache_key(model_name: str, text: str) -> bytes:
    return hashlib.blake2b(f"{model_name}\0{text}".encode(), digest_size=16).digest()


def embed_with_cache(texts: list[str], embedder, cache_path: Path, progress: bool) -> tuple[np.ndarray, int]:
    """Embed ``texts``, reusing the vectors of texts embedded by an earlier build.

    Editing one entry of a large FAQ then re-embeds only that entry's views. The cache holds
    exactly the texts of the latest build (so it never outgrows the index) and is replaced
    atomically, so a killed build leaves the previous cache intact.

    Returns:
        The vectors (one row per text, in order) and how many came from the cache.
    """
    keys = [_cache_key(embedder.name, t) for t in texts]
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


def make_vector_index(vectors: np.ndarray, settings):
    """Exact inner-product search while it is fast enough, an inverted-file index above
    ``settings.ann_min_views`` vectors: flat search grows linearly (about 3 ms at 20k vectors,
    60 ms at 1M here), while IVF scans only the ``ivf_nprobe`` lists nearest the question.

    IVF rather than HNSW, on the evidence of benchmarks/speed.py and a study at 1M clustered
    vectors: IVF (nlist 4096, nprobe 16) kept recall@10 at 0.999+ in 0.6 ms and built in about
    90 s, while HNSW (M 32) needed efSearch 1024 and a 4-minute build to pass 0.95.
    """
    import faiss

    count, dimension = vectors.shape
    if count < settings.ann_min_views:
        index = faiss.IndexFlatIP(dimension)
        index.add(vectors)
        return index
    # About 4·sqrt(n) lists (a power of two), each trained on >= 39 points as FAISS advises.
    nlist = 2 ** int(round(np.log2(max(16.0, 4 * np.sqrt(count)))))
    nlist = min(nlist, count // 39)
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(count, size=min(count, max(64 * nlist, 100_000)), replace=False)
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # training and adding are bulk work: use every core
    try:
        index.train(vectors[np.sort(sample)])
        index.add(vectors)
    finally:
        faiss.omp_set_num_threads(1)
    index.nprobe = settings.ivf_nprobe
    return index


def describe_vector_index(index) -> str:
    import faiss

    if isinstance(index, faiss.IndexIVF):
        return f"IndexIVFFlat(nlist={index.nlist}, nprobe={index.nprobe})"
    return type(index).__name__


def configure_search(index, manifest: dict) -> None:
    """Search-time parameters are part of the build: restore the lists probed per question."""
    import faiss

    match = re.search(r"nprobe=(\d+)", manifest.get("faiss_index", ""))
    if match and isinstance(index, faiss.IndexIVF):
        index.nprobe = int(match.group(1))


class _RowsOnDemand:
    """The vectors of an IVF index, reconstructed only for the rows asked for: re-scoring needs
    a few candidates' vectors, not a second full copy of a million of them."""

    def __init__(self, index):
        index.make_direct_map()
        self.index = index
        self.shape = (index.ntotal, index.d)

    def __len__(self) -> int:
        return self.index.ntotal

    def __getitem__(self, rows) -> np.ndarray:
        rows = np.arange(self.index.ntotal)[rows] if isinstance(rows, slice) else np.asarray(rows, dtype=np.int64)
        return self.index.reconstruct_batch(rows.reshape(-1)).reshape(*rows.shape, self.index.d)

    def __array__(self, dtype=None, copy=None):
        return self[:]


def stored_vectors(index):
    """The index's own copy of the vectors without a second copy in memory: a numpy view of a
    flat index's storage, or rows reconstructed on demand from an IVF index."""
    import faiss

    if isinstance(index, faiss.IndexFlat):
        return faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
    return _RowsOnDemand(index)


def current_build(root: Path) -> Path | None:
    pointer = Path(root) / "current"
    if not pointer.is_file():
        return None
    return Path(root) / "builds" / pointer.read_text().strip()


def read_manifest(root: Path) -> dict | None:
    build = current_build(root)
    if build is None:
        return None
    try:
        return json.loads((build / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexCorrupt(f"index at {root} is damaged ({exc}); run `faqbot index` to rebuild it") from None


def load_index(root: Path) -> LoadedIndex:
    import faiss

    from bot.corpus import Entry
    from bot.lexical import LexicalIndex

    root = Path(root)
    build = current_build(root)
    if build is None:
        raise IndexMissing(f"no index at {root}; run `faqbot index` to build it")
    fix = "run `faqbot index` to rebuild it"
    try:
        manifest = json.loads((build / "manifest.json").read_text())
        entries = [Entry(**e) for e in json.loads((build / "entries.json").read_text())]
        views = [View(*v) for v in json.loads((build / "views.json").read_text())]
        index = faiss.read_index(str(build / "vectors.faiss"))
        lexical = LexicalIndex.load(build / "lexical") if manifest.get("format_version") == FORMAT_VERSION else None
    except (OSError, ValueError, TypeError, RuntimeError, KeyError) as exc:
        raise IndexCorrupt(f"index at {build} is damaged or incomplete ({type(exc).__name__}: {exc}); {fix}") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(f"index at {build} has format {manifest.get('format_version')}, "
                            f"this version reads {FORMAT_VERSION}; {fix}")
    if index.ntotal != len(views) or manifest.get("entries") != len(entries) or index.d != manifest.get("dimension"):
        raise IndexCorrupt(f"index at {build} is inconsistent (vectors {index.ntotal}, views {len(views)}, "
                           f"entries {len(entries)} vs manifest {manifest.get('entries')}); {fix}")
    configure_search(index, manifest)
    # One question at a time is searched: FAISS's OpenMP threads only add hand-off cost there, and
    # their spinning slows the query encoder running beside them (measured: 7.2 -> 4.5 ms an ask).
    faiss.omp_set_num_threads(1)
    vectors = stored_vectors(index)
    entry_of_view = np.fromiter((v.entry for v in views), dtype=np.int64, count=len(views))
    order = np.argsort(entry_of_view, kind="stable")
    bounds = np.searchsorted(entry_of_view[order], np.arange(len(entries) + 1))
    rows_by_entry = [order[bounds[i]:bounds[i + 1]] for i in range(len(entries))]
    is_q_view = np.array([v.kind == "q" for v in views], dtype=bool)
    return LoadedIndex(build, manifest, entries, views, index, vectors, rows_by_entry, is_q_view, lexical)


def _write_json(path: Path, data) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_tree(path: Path) -> None:
    """Flush every file under ``path`` (bm25s writes its own files without fsync) and the folders."""
    for item in sorted(path.rglob("*")):
        if item.is_file():
            _fsync_file(item)
    for folder in sorted({p.parent for p in path.rglob("*")} | {path}, key=lambda p: len(p.parts), reverse=True):
        _fsync_dir(folder)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _build_lock:
    """One build at a time per index folder; a second builder waits for the first."""

    def __init__(self, root: Path):
        self.path = Path(root) / ".build.lock"

    def __enter__(self):
        self.handle = open(self.path, "w")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _remove_leftovers(builds: Path) -> None:
    """Temporary folders of builds that were killed; safe to delete while we hold the lock."""
    for tmp in builds.glob(".tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def _prune(builds: Path, keep: str) -> None:
    old = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != keep)
    for path in old[:-KEEP_OLD_BUILDS] if KEEP_OLD_BUILDS else old:
        shutil.rmtree(path, ignore_errors=True)
