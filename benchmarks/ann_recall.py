"""Recall of approximate dense search against exhaustive search, as the searcher sees it.

Used by the ``ann`` phase of ``bench_search.py``. Everything is measured on language-centred
vectors (what the searcher ranks by), through :class:`DenseIndex` with one stored part per
language of one segment, as ``build_index`` writes a full build:

* **chunks@100**: share of the exact top 100 chunks (float32, exhaustive) among the 100 dense
  candidates the index returns;
* **chunks@100 within ε**: a returned chunk also counts when its exact score is within ε of
  the exact 100th score (as good as a true neighbour; near-duplicates make the exact top 100
  a lottery among near-ties);
* **origins@100** (near-duplicate corpus only): share of the base passages behind the exact
  top 100 that have a copy among the returned 100;
* **cases@10**: the candidates grouped into cases by their best chunk (``group_by_case``, as
  the searcher does in dense mode), top 10 cases against those of exhaustive search.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import faiss
import numpy as np

from casesearch.index.search.grouping import group_by_case
from casesearch.index.storage.dense import (
    ANN_MIN_ROWS,
    DenseIndex,
    StoredPart,
    build_approximate,
    split_rows,
)

CANDIDATES = 100
CASES = 10
EPSILONS = (0.001, 0.005, 0.01)


@dataclass
class Reference:
    """Exhaustive float32 results for every question."""

    rows: np.ndarray
    scores: np.ndarray
    cases: list[set[int]]


def top_cases(rows: np.ndarray, scores: np.ndarray, chunk_case: np.ndarray) -> set[int]:
    return {g.case_row for g in group_by_case(rows, scores, chunk_case, CASES)}


def exact_reference(
    centred: np.ndarray, queries: np.ndarray, chunk_case: np.ndarray, threads: int = 2
) -> Reference:
    """Exhaustive float32 top 100 of every question (all threads: a batch, not timed)."""
    faiss.omp_set_num_threads(threads)
    scores, rows = faiss.knn(queries, centred, CANDIDATES, metric=faiss.METRIC_INNER_PRODUCT)
    faiss.omp_set_num_threads(1)
    cases = [top_cases(r, s, chunk_case) for r, s in zip(rows, scores, strict=True)]
    return Reference(rows.astype(np.int64), scores, cases)


def approximate_parts(
    vectors: np.ndarray,
    langs: np.ndarray,
    kind: str,
    *,
    lists_per_sqrt: float = 4.0,
    code: str = "fp16",
    hnsw_m: int = 32,
    bits: int = 2,
    min_rows: int = ANN_MIN_ROWS,
) -> list[StoredPart]:
    """A full build's parts (one per language with ``min_rows`` chunks), with other settings."""
    parts = []
    for lang in sorted(set(langs.tolist())):
        rows = np.flatnonzero(langs == lang).astype(np.int64)
        if len(rows) < min_rows:
            continue
        nlist = max(1, min(round(lists_per_sqrt * math.sqrt(len(rows))), len(rows) // 39))
        for piece in split_rows(rows, kind):
            index = build_approximate(
                vectors[piece], kind, nlist=nlist, code=code, hnsw_m=hnsw_m, bits=bits
            )
            parts.append(StoredPart(lang, piece, index))
    return parts


def part_bytes(parts: Sequence[StoredPart], scratch: str) -> int:
    """Bytes of the parts as written to disk (what a segment stores; resident when read)."""
    import os

    total = 0
    for part in parts:
        faiss.write_index(part.index, scratch)
        total += os.path.getsize(scratch) + part.rows.nbytes
        os.remove(scratch)
    return total


def measure(
    index: DenseIndex,
    queries: np.ndarray,
    reference: Reference,
    centred: np.ndarray,
    chunk_case: np.ndarray,
    settings: Sequence[tuple[str, Callable[[DenseIndex], None]]],
    origin: np.ndarray | None = None,
) -> dict[str, dict[str, object]]:
    """Recall and single-thread latency of every setting, interleaved question by question.

    Args:
        index: the index to search (its settings are changed by ``settings``).
        queries: question vectors.
        reference: exhaustive results for ``queries``.
        centred: float32 centred vectors (exact scores of returned rows).
        chunk_case: case row of every chunk.
        settings: ``(label, apply)`` pairs; ``apply`` sets the index up for that setting.
        origin: base passage of every chunk (near-duplicate corpus), for origins@100.
    """
    faiss.omp_set_num_threads(1)
    stats: dict[str, dict[str, list[float]]] = {label: {} for label, _ in settings}
    for qi, q in enumerate(queries):
        shift = qi % len(settings)
        for label, apply in list(settings[shift:]) + list(settings[:shift]):
            apply(index)
            t0 = time.perf_counter()
            rows, scores = index.search(q, CANDIDATES)
            ms = (time.perf_counter() - t0) * 1000
            truth = reference.rows[qi]
            kth = float(reference.scores[qi][-1])
            exact = centred[np.sort(rows)] @ q if len(rows) else np.zeros(0)
            row = stats[label]
            row.setdefault("ms", []).append(ms)
            row.setdefault("chunks", []).append(len(np.intersect1d(rows, truth)) / CANDIDATES)
            for eps in EPSILONS:
                good = min(CANDIDATES, int(np.sum(exact >= kth - eps)))
                row.setdefault(f"chunks_eps{eps}", []).append(good / CANDIDATES)
            cases = top_cases(rows, scores, chunk_case)
            row.setdefault("cases", []).append(len(cases & reference.cases[qi]) / CASES)
            if origin is not None:
                want = set(origin[truth].tolist())
                got = set(origin[rows].tolist())
                row.setdefault("origins", []).append(len(want & got) / len(want))
    out: dict[str, dict[str, object]] = {}
    for label, row in stats.items():
        summary: dict[str, object] = {
            "ms_p50": round(float(np.percentile(row["ms"], 50)), 3),
            "ms_p95": round(float(np.percentile(row["ms"], 95)), 3),
        }
        for key, values in row.items():
            if key != "ms":
                summary[f"recall_{key}"] = round(float(np.mean(values)), 4)
                summary[f"min_{key}"] = round(float(np.min(values)), 2)
        out[label] = summary
    return out
