"""Dense retrieval with FAISS over normalised embeddings (inner product = cosine).

Exhaustive search is the default: every vector is scored. The vectors are held as float16
(FAISS ``IndexScalarQuantizer`` ``QT_fp16``): a single-question search is limited by memory
bandwidth, so half the bytes is about 2.4x faster at 100k chunks (2.3 ms against 5.7 ms for
float32 ``IndexFlatIP`` here) and takes half the memory, while the top 100 stay those of
float32 search (recall measured in BENCHMARKS.md). Past ``HNSW_THRESHOLD`` vectors an HNSW graph
is used instead (sub-millisecond, recall measured by ``benchmarks/bench_search.py``), because
exhaustive search grows linearly with size.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

#: Above this many chunks the index is approximate (HNSW) unless configured otherwise.
HNSW_THRESHOLD = 300_000
HNSW_M = 32
#: Index kinds laid out from the stored vectors when an index is opened (so appendable).
EXHAUSTIVE_KINDS = ("flat", "flat32")


def use_single_thread() -> None:
    """One OpenMP thread: for single queries it is 10x faster than two on this kind of CPU."""
    faiss.omp_set_num_threads(1)


class DenseIndex:
    """A FAISS index plus the choice of exact or approximate search it was built with."""

    def __init__(self, index: faiss.Index, kind: str) -> None:
        self.index = index
        self.kind = kind

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "auto") -> DenseIndex:
        """Build from normalised float32 vectors.

        ``kind``: ``flat`` (exhaustive, float16), ``flat32`` (exhaustive, float32: the
        reference the others are measured against), ``hnsw`` or ``auto`` (by size).
        """
        dim = vectors.shape[1]
        if kind == "auto":
            kind = "hnsw" if len(vectors) > HNSW_THRESHOLD else "flat"
        if kind == "flat":
            index: faiss.Index = faiss.IndexScalarQuantizer(
                dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
            )
        elif kind == "flat32":
            index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 96
        else:
            raise ValueError(f"unknown dense index kind {kind!r} (flat, flat32, hnsw or auto)")
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, kind)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` chunk rows and scores for one query vector.

        Args:
            query: a normalised vector of shape ``(dim,)``.
            k: how many candidates to return.
            allowed: optional sorted int64 array of chunk rows the result may contain.
        """
        k = min(k, self.size if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            # faiss's bundled type stubs lack these parameter classes' keyword arguments.
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(96, k))  # type: ignore[attr-defined]
                if self.kind == "hnsw"
                else faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            )
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """Stored vectors of ``rows`` (to score candidates found by BM25 only)."""
        if len(rows) == 0:
            return np.zeros((0, self.index.d), dtype=np.float32)
        return self.index.reconstruct_batch(rows.astype(np.int64))

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str) -> DenseIndex:
        return cls(faiss.read_index(str(path)), kind)

    @classmethod
    def from_bytes(cls, data: bytes, kind: str) -> DenseIndex:
        """An index from the bytes :meth:`save` wrote (read and checked by the caller)."""
        return cls(faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8)), kind)
