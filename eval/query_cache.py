"""Embed each evaluation question once, however many times it is searched.

An evaluation searches every question in several modes, and tuning searches it again under
dozens of settings; the question's vector is the same each time. Wrapping the searcher's
embedder with this cache turns those repeats into dictionary look-ups, so tuning costs BM25 and
fusion time only, while the searcher itself stays the code users run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


class QueryVectorCache:
    """Stands in for an :class:`index.embedder.Embedder`, memoising query vectors.

    Everything except :meth:`encode_queries` is passed through to the wrapped embedder.
    """

    def __init__(self, embedder: object) -> None:
        self._inner = embedder
        self._vectors: dict[str, np.ndarray] = {}

    @property
    def inner(self) -> object:
        """The wrapped embedder."""
        return self._inner

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Query vectors, computing only texts not seen before (in one batch)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if todo:
            fresh = self._inner.encode_queries(todo, batch_size=batch_size)  # type: ignore[attr-defined]
            for text, vector in zip(todo, fresh, strict=True):
                self._vectors[text] = vector
        if not texts:
            return np.zeros((0, self._inner.dim), dtype=np.float32)  # type: ignore[attr-defined]
        return np.stack([self._vectors[t] for t in texts])

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


@contextmanager
def cached_query_vectors(searcher: object, texts: list[str] | None = None) -> Iterator[None]:
    """Let ``searcher`` reuse query vectors inside the block, then restore its embedder.

    Args:
        searcher: an :class:`index.searcher.Searcher` (its ``embedder`` is swapped).
        texts: questions to embed up front in batches (much faster than one by one).
    """
    original = searcher.embedder  # type: ignore[attr-defined]
    cache = original if isinstance(original, QueryVectorCache) else QueryVectorCache(original)
    searcher.embedder = cache  # type: ignore[attr-defined]
    try:
        if texts:
            cache.encode_queries([" ".join(t.split()) for t in texts if t.strip()])
        yield
    finally:
        searcher.embedder = original  # type: ignore[attr-defined]
