"""Retrieval measures at the case level, computed by ir_measures (trec_eval semantics).

Rankings are handed to ir_measures with scores that encode the rank (``depth - rank + 1``),
so the order evaluated is exactly the order the searcher returned, whatever its raw scores
and ties. Graded judgments (2 = answers, 1 = useful) count with linear gain in nDCG, as in
trec_eval; recall, reciprocal rank and average precision treat grade >= 1 as relevant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ir_measures
from ir_measures import AP, RR, R, nDCG

#: Report name -> ir_measures measure, in the order reports show them.
MEASURES = {
    "nDCG@10": nDCG @ 10,
    "MRR@10": RR @ 10,
    "R@5": R @ 5,
    "R@10": R @ 10,
    "R@20": R @ 20,
    "MAP": AP,
}
MEASURE_NAMES = tuple(MEASURES)
PRIMARY = "nDCG@10"


def run_from_rankings(rankings: Mapping[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """An ir_measures run from ranked case ids per question (best first, no duplicates)."""
    run: dict[str, dict[str, float]] = {}
    for qid, case_ids in rankings.items():
        n = len(case_ids)
        run[qid] = {case_id: float(n - i) for i, case_id in enumerate(case_ids)}
    return run


def per_query(
    qrels: Mapping[str, Mapping[str, int]],
    rankings: Mapping[str, Sequence[str]],
) -> dict[str, dict[str, float]]:
    """Every measure for every judged question.

    A judged question with no ranking (or an empty one) scores 0 on every measure rather than
    being left out, which would flatter a system that returns nothing.
    """
    judged = {q: dict(r) for q, r in qrels.items() if any(g >= 1 for g in r.values())}
    run = run_from_rankings({q: rankings.get(q, ()) for q in judged})
    out = {q: dict.fromkeys(MEASURES, 0.0) for q in judged}
    by_measure = {m: name for name, m in MEASURES.items()}
    nonempty = {q: r for q, r in run.items() if r}
    if nonempty:
        for metric in ir_measures.iter_calc(list(MEASURES.values()), judged, nonempty):
            out[metric.query_id][by_measure[metric.measure]] = float(metric.value)
    return out


def mean_scores(scores: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Mean of each measure over questions (0.0 for an empty set)."""
    n = len(scores)
    return {name: (sum(s[name] for s in scores.values()) / n if n else 0.0) for name in MEASURES}
