"""Is one search mode really better than another on these questions?

With a few dozen questions, differences of a few nDCG points are often noise. Modes are
compared on the same questions (paired), with a paired t-test and the Wilcoxon signed-rank
test from scipy. When questions carry an information need, the unit is the need (the mean over
its questions): the Danish and English wording of one need are not independent evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from itertools import combinations

from scipy import stats


@dataclass(frozen=True)
class PairedTest:
    """Outcome of comparing mode ``a`` with mode ``b`` on one measure.

    Attributes:
        mean_a, mean_b: means over the paired units.
        units: number of paired units (needs or questions); ``unit`` says which.
        t_p: two-sided p-value of the paired t-test (None when undefined).
        wilcoxon_p: two-sided p-value of the Wilcoxon signed-rank test (None when undefined,
            e.g. all differences are zero).
        wins, losses, ties: units where ``a`` scores higher, lower, equal.
    """

    a: str
    b: str
    measure: str
    unit: str
    units: int
    mean_a: float
    mean_b: float
    t_p: float | None
    wilcoxon_p: float | None
    wins: int
    losses: int
    ties: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def group_units(scores: Mapping[str, float], unit_of: Mapping[str, str] | None) -> dict[str, float]:
    """Per-question scores averaged into units (needs); questions without a unit stand alone."""
    if not unit_of:
        return dict(scores)
    sums: dict[str, list[float]] = {}
    for qid, value in scores.items():
        sums.setdefault(unit_of.get(qid) or qid, []).append(value)
    return {u: sum(v) / len(v) for u, v in sums.items()}


def _p(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def paired_test(
    a: str,
    b: str,
    scores_a: Mapping[str, float],
    scores_b: Mapping[str, float],
    *,
    measure: str,
    unit_of: Mapping[str, str] | None = None,
) -> PairedTest:
    """Compare two modes on the questions both were scored on."""
    common = sorted(set(scores_a) & set(scores_b))
    ua = group_units({q: scores_a[q] for q in common}, unit_of)
    ub = group_units({q: scores_b[q] for q in common}, unit_of)
    keys = sorted(ua)
    xa = [ua[k] for k in keys]
    xb = [ub[k] for k in keys]
    diffs = [x - y for x, y in zip(xa, xb, strict=True)]
    t_p = w_p = None
    if len(keys) >= 2 and max(diffs) - min(diffs) <= 1e-12 and abs(diffs[0]) > 1e-12:
        # Every unit moved by the same amount: t is infinite, the limit of p is 0.
        t_p = 0.0
        w_p = _p(stats.wilcoxon(xa, xb, zero_method="wilcox").pvalue)
    elif len(keys) >= 2 and any(abs(d) > 1e-12 for d in diffs):
        t_p = _p(stats.ttest_rel(xa, xb).pvalue)
        w_p = _p(stats.wilcoxon(xa, xb, zero_method="wilcox").pvalue)
    elif len(keys) >= 2:
        t_p = w_p = 1.0
    n = len(keys)
    return PairedTest(
        a=a,
        b=b,
        measure=measure,
        unit="need" if unit_of else "question",
        units=n,
        mean_a=sum(xa) / n if n else 0.0,
        mean_b=sum(xb) / n if n else 0.0,
        t_p=t_p,
        wilcoxon_p=w_p,
        wins=sum(d > 1e-12 for d in diffs),
        losses=sum(d < -1e-12 for d in diffs),
        ties=sum(abs(d) <= 1e-12 for d in diffs),
    )


def compare_modes(
    per_mode: Mapping[str, Mapping[str, float]],
    *,
    measure: str,
    unit_of: Mapping[str, str] | None = None,
) -> list[PairedTest]:
    """Every pair of modes, in the order the modes were given."""
    return [
        paired_test(a, b, per_mode[a], per_mode[b], measure=measure, unit_of=unit_of)
        for a, b in combinations(list(per_mode), 2)
    ]
