"""The vector side of the index: the only module that imports FAISS.

Exact inner-product search (cosine, since every vector is normalised) while it is fast enough;
an inverted-file (IVF) index above ``ann_min_views`` vectors. Its search parameters are data
(``VectorIndex.params``), recorded in the build's manifest and restored from there on load.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

FILE_NAME = "vectors.faiss"


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


class VectorIndex:
    """Nearest-neighbour search over the view vectors of one build."""

    def __init__(self, index):
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, ann_min_views: int, ivf_nprobe: int) -> "VectorIndex":
        """Flat below ``ann_min_views`` vectors: exact search grows linearly (about 3 ms at 20k
        vectors, 60 ms at 1M here), while IVF scans only the ``ivf_nprobe`` lists nearest the
        question.

        IVF rather than HNSW, on the evidence of benchmarks/speed.py and a study at 1M clustered
        vectors: IVF (nlist 4096, nprobe 16) kept recall@10 at 0.999+ in 0.6 ms and built in
        about 90 s, while HNSW (M 32) needed efSearch 1024 and a 4-minute build to pass 0.95.
        """
        count, dimension = vectors.shape
        if count < ann_min_views:
            index = faiss.IndexFlatIP(dimension)
            index.add(vectors)
            return cls(index)
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
        index.nprobe = ivf_nprobe
        return cls(index)

    @property
    def params(self) -> dict:
        """What kind of index this is and how it searches, as the manifest records it."""
        if isinstance(self._index, faiss.IndexIVF):
            return {"type": "ivf_flat", "nlist": int(self._index.nlist), "nprobe": int(self._index.nprobe)}
        return {"type": "flat"}

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def save(self, folder: Path) -> None:
        faiss.write_index(self._index, str(Path(folder) / FILE_NAME))

    @classmethod
    def load(cls, folder: Path, params: dict) -> "VectorIndex":
        """Read the index of a build and restore its search parameters. Raises RuntimeError or
        OSError for a damaged or missing file."""
        index = faiss.read_index(str(Path(folder) / FILE_NAME))
        if params.get("type") == "ivf_flat" and isinstance(index, faiss.IndexIVF):
            index.nprobe = int(params["nprobe"])
        # One question at a time is searched: FAISS's OpenMP threads only add hand-off cost there, and
        # their spinning slows the query encoder running beside them (measured: 7.2 -> 4.5 ms an ask).
        faiss.omp_set_num_threads(1)
        return cls(index)

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        """Rows of the ``k`` nearest vectors to ``query``, nearest first (-1 where fewer exist)."""
        _, rows = self._index.search(query.reshape(1, -1).astype(np.float32), k)
        return rows[0]

    def stored_vectors(self):
        """The index's own copy of the vectors without a second copy in memory: a numpy view of a
        flat index's storage, or rows reconstructed on demand from an IVF index."""
        if isinstance(self._index, faiss.IndexFlat):
            return faiss.rev_swig_ptr(self._index.get_xb(), self.count * self.dimension).reshape(self.count,
                                                                                                 self.dimension)
        return _RowsOnDemand(self._index)

    def size_bytes(self) -> int:
        """Bytes the index takes when written (serialised in memory: fine up to a few 100k vectors)."""
        return int(faiss.serialize_index(self._index).nbytes)


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Exact top-``k`` rows for each query: the ground truth approximate search is measured against."""
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index.search(queries.astype(np.float32), k)[1]
