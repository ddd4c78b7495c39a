"""From ranked chunks to ranked cases.

Users want ten different cases, not seven passages of one; relevance is judged per case. A
case's score is formed from the scores of its matching chunks (by default its best chunk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CASE_AGGREGATIONS = ("max", "max_plus")


@dataclass(frozen=True)
class CaseGroup:
    """A case in the ranking: its score, its best chunk row and how many chunks matched."""

    case_row: int
    score: float
    best_row: int
    matched: int


def group_by_case(
    rows: np.ndarray,
    scores: np.ndarray,
    chunk_case: np.ndarray,
    k: int,
    aggregation: str = "max",
) -> list[CaseGroup]:
    """The ``k`` best cases among candidate chunks.

    Args:
        rows: candidate chunk rows.
        scores: their scores (higher is better).
        chunk_case: case row of every chunk in the index.
        k: number of cases wanted.
        aggregation: ``max`` (best chunk) or ``max_plus`` (best chunk plus a tenth of the
            second best, which favours cases that match in more than one place).
    """
    if aggregation not in CASE_AGGREGATIONS:
        raise ValueError(f"unknown case aggregation {aggregation!r}; use {CASE_AGGREGATIONS}")
    order = np.argsort(-np.asarray(scores), kind="stable")
    best: dict[int, list[float]] = {}
    best_row: dict[int, int] = {}
    for i in order:
        case_row = int(chunk_case[rows[i]])
        if case_row not in best:
            best[case_row] = []
            best_row[case_row] = int(rows[i])
        best[case_row].append(float(scores[i]))
    groups = []
    for case_row, values in best.items():
        score = values[0]
        if aggregation == "max_plus" and len(values) > 1:
            score += 0.1 * values[1]
        groups.append(CaseGroup(case_row, score, best_row[case_row], len(values)))
    groups.sort(key=lambda g: -g.score)
    return groups[:k]
