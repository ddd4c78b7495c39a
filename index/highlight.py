"""Mark the sentence of an excerpt that answers the question best.

Similarity is measured with the embedding model, not by shared words, so a Danish question
highlights the right sentence of an English excerpt too. Only the excerpts shown are scored.
"""

from __future__ import annotations

import numpy as np

from index.embedder import Embedder
from ingest.sentences import sentence_spans


def best_sentences(
    embedder: Embedder, query_vector: np.ndarray, excerpts: list[str]
) -> list[tuple[int, int] | None]:
    """For every excerpt, the ``(start, end)`` character span of its best sentence."""
    spans_per_excerpt = [sentence_spans(text) for text in excerpts]
    sentences = [
        excerpt[s:e]
        for excerpt, spans in zip(excerpts, spans_per_excerpt, strict=True)
        for s, e in spans
    ]
    if not sentences:
        return [None for _ in excerpts]
    vectors = embedder.encode_documents(sentences, batch_size=64)
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
