"""Mark the sentence of an excerpt that answers the question best.

Similarity is measured with the embedding model, not by shared words, so a Danish question
highlights the right sentence of an English excerpt too. Sentence vectors come from the
data directory's store (:mod:`index.sentence_vectors`) when prepared; sentences not stored yet
are embedded now and added to it, so each sentence is embedded once.
"""

from __future__ import annotations

import logging

import numpy as np

from casesearch.index.model.embedder import Embedder
from casesearch.index.storage.sentence_vectors import SentenceVectors
from casesearch.ingest.sentences import sentence_spans

log = logging.getLogger(__name__)


def sentence_vectors(
    embedder: Embedder, sentences: list[str], store: SentenceVectors | None
) -> tuple[np.ndarray, int]:
    """Vectors of ``sentences`` (stored ones read, others embedded) and how many were embedded."""
    if store is None:
        return embedder.encode_documents(sentences, batch_size=64), len(sentences)
    keys = store.keys(sentences)
    found, vectors = store.lookup(keys)
    missing = np.flatnonzero(~found)
    if len(missing):
        fresh = embedder.encode_documents([sentences[i] for i in missing.tolist()], batch_size=64)
        vectors[missing] = fresh
        if store.writable:
            try:
                store.add(keys[missing], fresh)
            except OSError as exc:  # a read-only data directory: mark without storing
                store.writable = False
                log.warning("sentence vectors cannot be stored in %s: %s", store.folder, exc)
    return vectors, len(missing)


def best_sentences(
    embedder: Embedder,
    query_vector: np.ndarray,
    excerpts: list[str],
    store: SentenceVectors | None = None,
    stats: dict[str, float] | None = None,
) -> list[tuple[int, int] | None]:
    """For every excerpt, the ``(start, end)`` character span of its best sentence.

    ``stats``, when given, receives how many sentences were looked at and how many of them
    had to be embedded (were not stored).
    """
    spans_per_excerpt = [sentence_spans(text) for text in excerpts]
    sentences = [
        excerpt[s:e]
        for excerpt, spans in zip(excerpts, spans_per_excerpt, strict=True)
        for s, e in spans
    ]
    if not sentences:
        return [None for _ in excerpts]
    vectors, embedded = sentence_vectors(embedder, sentences, store)
    if stats is not None:
        stats["sentences"] = len(sentences)
        stats["sentences_embedded"] = embedded
    scores = vectors @ query_vector
    out: list[tuple[int, int] | None] = []
    pos = 0
    for spans in spans_per_excerpt:
        if not spans:
            out.append(None)
            continue
        local = scores[pos : pos + len(spans)]
        out.append(spans[int(np.argmax(local))])
        pos += len(spans)
    return out
