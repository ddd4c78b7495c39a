"""Dense retrieval with FAISS over normalised embeddings (inner product = cosine).

Exact search (``IndexFlatIP``) is the default: at 100k chunks it answers in about 12 ms on
one core. Past ``hnsw_threshold`` vectors an HNSW graph is used instead (sub-millisecond, recall
measured by ``benchmarks/bench_search.py``), because exact search grows linearly with size.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

#: Above this many chunks the index is approximate (HNSW) unless configured otherwise.
HNSW_THRESHOLD = 300_000
HNSW_M = 32


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
        """Build from normalised float32 vectors; ``kind`` is ``flat``, ``hnsw`` or ``auto``."""
        dim = vectors.shape[1]
        if kind == "auto":
            kind = "hnsw" if len(vectors) > HNSW_THRESHOLD else "flat"
        if kind == "flat":
            index: faiss.Index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 96
        else:
            raise ValueError(f"unknown dense index kind {kind!r} (flat, hnsw or auto)")
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
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(96, k))
                if self.kind == "hnsw"
                else faiss.SearchParameters(sel=selector)
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
