"""Build, store and load the search index of a corpus: the steps (views, embedding cache,
vectors, lexical) put together, written atomically, and read back.

On disk (index/README.md documents it), ``INDEX_DIR/builds/<name>/`` holds one complete build
and ``INDEX_DIR/current`` names the build in use. A build is written to a temporary folder and
only then made current by atomically replacing that one small file, so a build killed at any
point leaves the previous index loadable.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from bot.corpus.model import Entry
from bot.errors import UserError
from bot.index.embedding_cache import CACHE_FILE, embed_with_cache
from bot.index.integrity import file_damage, file_records, vector_damage
from bot.index.lexical import LexicalIndex
from bot.index.vectors import FILE_NAME as VECTORS_FILE
from bot.index.vectors import VectorIndex
from bot.index.views import View, make_views

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.encoders import DocumentEncoder

# 3: vector index parameters as data in the manifest ("vector_index");
# 4: size and SHA-256 of every file of the build ("files"), checked on load;
# 5: the corpus's score profile for the answer/decline decision ("decision", bot/decision)
FORMAT_VERSION = 5
KEEP_OLD_BUILDS = 1


class IndexProblem(UserError):
    """The index cannot be used; the message says how to fix it."""

    exit_code = 1


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexMismatch(IndexProblem):
    pass


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    entries: list[Entry]
    views: list[View]
    vector_index: VectorIndex
    vectors: np.ndarray  # (n_views, dim), for exact re-scoring of candidate entries
    rows_by_entry: list[np.ndarray]  # view rows of each entry
    is_q_view: np.ndarray  # bool per view
    lexical: LexicalIndex | None = None

    @classmethod
    def assemble(cls, path: Path, manifest: dict, entries: list[Entry], views: list[View],
                 vector_index: VectorIndex, lexical: LexicalIndex | None = None) -> "LoadedIndex":
        """Put a loaded (or freshly built) index together with the lookup tables search needs."""
        entry_of_view = np.fromiter((v.entry for v in views), dtype=np.int64, count=len(views))
        order = np.argsort(entry_of_view, kind="stable")
        bounds = np.searchsorted(entry_of_view[order], np.arange(len(entries) + 1))
        rows_by_entry = [order[bounds[i]:bounds[i + 1]] for i in range(len(entries))]
        is_q_view = np.array([v.kind == "q" for v in views], dtype=bool)
        return cls(path, manifest, entries, views, vector_index, vector_index.stored_vectors(), rows_by_entry,
                   is_q_view, lexical)


class Measure(Protocol):
    def __call__(self, index: LoadedIndex, embedder: DocumentEncoder) -> dict: ...


def build_signature(settings: Settings, fingerprint: str, model_name: str) -> dict:
    """Everything that, when changed, makes an existing build stale."""
    return {
        "format_version": FORMAT_VERSION,
        "corpus_fingerprint": fingerprint,
        "model": model_name,
        "passage_words": settings.passage_words,
    }


def build_index(entries: list[Entry], settings: Settings, embedder: DocumentEncoder, fingerprint: str,
                progress: bool = True, measure: Measure | None = None) -> Path:
    """Embed every view of ``entries`` and atomically make the result the current build.

    ``measure(index, embedder)`` is called with the built index (in memory); what it returns is
    kept as the manifest's "decision". By default it is bot/decision/profile.py's ProfileMeasure:
    how this corpus scores questions, which the answer/decline decision needs.

    Returns:
        The folder of the new build (its manifest.json says what was built).
    """
    root = settings.index_path
    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _build_lock(root):
        _remove_leftovers(builds)
        views = make_views(entries, settings.passage_words)
        vectors, reused = embed_with_cache([v.text for v in views], embedder, root / CACHE_FILE, progress)
        index = VectorIndex.build(vectors, settings.ann_min_views, settings.ivf_nprobe)
        lexical = LexicalIndex.build(entries)
        if measure is None:
            from bot.decision.profile import ProfileMeasure

            measure = ProfileMeasure(settings)
        decision = measure(LoadedIndex.assemble(root, {}, entries, views, index, lexical), embedder)

        name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f") + f"-{fingerprint[:8]}"
        tmp = builds / f".tmp-{name}"
        tmp.mkdir()
        index.save(tmp)
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
            "vector_index": index.params,
            "decision": decision,
            "build_seconds": round(time.perf_counter() - started, 3),
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": file_records(tmp),
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


def current_build(root: Path) -> Path | None:
    """The build ``current`` names (None: no index yet). A pointer that names no plain build
    folder name, or no folder at all, is damage, not "no index": building over it would hide it."""
    pointer = Path(root) / "current"
    if not pointer.is_file():
        return None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, ValueError) as exc:
        raise _damaged(root, f"its `current` file cannot be read ({exc})") from None
    if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
        raise _damaged(root, f"its `current` file names no build ({name[:60]!r})")
    build = Path(root) / "builds" / name
    if not build.is_dir():
        raise _damaged(root, f"its `current` file names build {name}, which does not exist")
    return build


def read_manifest(root: Path) -> dict | None:
    build = current_build(root)
    return None if build is None else _read_manifest(build)


def load_index(root: Path) -> LoadedIndex:
    """Load the current build, checked: its files are the ones written (sizes, checksums), they
    agree with each other, and its vectors are unit length. Raises IndexMissing, IndexMismatch
    (another format) or IndexCorrupt, each saying to run `faqbot index`."""
    root = Path(root)
    build = current_build(root)
    if build is None:
        raise IndexMissing(f"no index at {root}; run `faqbot index` to build it")
    manifest = _read_manifest(build)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(f"index at {build} has format {manifest.get('format_version')}, "
                            f"this version reads {FORMAT_VERSION}; run `faqbot index` to rebuild it")
    problem = file_damage(build, manifest.get("files"), required=(VECTORS_FILE, "entries.json", "views.json"))
    if problem:
        raise _damaged(build, problem)
    try:
        entries = [Entry(**e) for e in json.loads((build / "entries.json").read_text(encoding="utf-8"))]
        views = [View(*v) for v in json.loads((build / "views.json").read_text(encoding="utf-8"))]
        index = VectorIndex.load(build, manifest.get("vector_index", {}))
        lexical = LexicalIndex.load(build / "lexical")
        problem = _inconsistency(manifest, entries, views, index, lexical)
    except Exception as exc:  # json, numpy and FAISS raise many types on bad bytes: all mean damage
        # (bytes that pass the checksums yet do not parse come with a manifest edited to match them)
        raise _damaged(build, f"{type(exc).__name__}: {exc}") from None
    if problem:
        raise _damaged(build, problem)
    loaded = LoadedIndex.assemble(build, manifest, entries, views, index, lexical)
    problem = vector_damage(loaded.vectors)
    if problem:
        raise _damaged(build, problem)
    return loaded


def _read_manifest(build: Path) -> dict:
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise _damaged(build, f"its manifest cannot be read ({type(exc).__name__}: {exc})") from None
    if not isinstance(manifest, dict):
        raise _damaged(build, "its manifest is not a JSON object")
    return manifest


def _inconsistency(manifest: dict, entries: list[Entry], views: list[View], index: VectorIndex,
                   lexical: LexicalIndex) -> str | None:
    """What the parts of a build disagree on (None: nothing), each check as cheap as a count."""
    if manifest.get("entries") != len(entries) or manifest.get("views") != len(views):
        return f"it holds {len(entries)} entries and {len(views)} views where its manifest says " \
               f"{manifest.get('entries')} and {manifest.get('views')}"
    if index.count != len(views) or index.dimension != manifest.get("dimension"):
        return f"it holds {index.count} vectors of size {index.dimension} for {len(views)} views of size " \
               f"{manifest.get('dimension')}"
    if not all(type(v.entry) is int and 0 <= v.entry < len(entries) and v.kind in ("q", "qa") for v in views):
        return "a view points at no entry"
    if lexical.bm25.num_docs != len(entries) or lexical.presence.num_docs != len(entries):
        return f"its lexical index covers {lexical.bm25.num_docs} entries, not {len(entries)}"
    if not isinstance(lexical.name_idf, dict):
        return "its lexical index's name terms are not a table"
    return None


def _damaged(where: Path, why: str) -> IndexCorrupt:
    # One line however the cause is worded (FAISS messages can span lines), short enough to read.
    why = " ".join(str(why).split())
    why = why if len(why) <= 300 else why[:297] + "..."
    return IndexCorrupt(f"index at {where} is damaged: {why}; run `faqbot index` to rebuild it")


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
