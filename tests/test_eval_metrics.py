"""Evaluation arithmetic on hand-computable cases: a broken measure or pair split fails here."""

from __future__ import annotations

import math

import pytest

from casesearch.eval.dataset import Question
from casesearch.eval.metrics import mean_scores, per_query, run_from_rankings
from casesearch.eval.pairs import pair_qrels
from casesearch.eval.runner import first_relevant_rank
from casesearch.eval.significance import group_units, paired_test

QRELS = {
    "q1": {"a": 2, "b": 1},  # relevant at ranks 2 and 4
    "q2": {"c": 1},  # nothing relevant returned
    "q3": {"d": 2},  # empty ranking: must count as zero, not be skipped
    "q4": {"e": 1, "f": 1, "g": 1},  # one of three relevant, at rank 1
}
RANKINGS = {
    "q1": ["x", "a", "y", "b"],
    "q2": ["x", "y"],
    "q3": [],
    "q4": ["e", "x", "y", "z", "w", "v"],
}


def test_rank_order_is_kept_whatever_the_scores() -> None:
    run = run_from_rankings({"q": ["b", "a", "c"]})
    assert sorted(run["q"], key=run["q"].get, reverse=True) == ["b", "a", "c"]


def test_measures_match_hand_computation() -> None:
    scores = per_query(QRELS, RANKINGS)
    assert set(scores) == {"q1", "q2", "q3", "q4"}

    # q1: linear gains, DCG = 2/log2(3) + 1/log2(5); ideal = 2/log2(2) + 1/log2(3).
    dcg = 2 / math.log2(3) + 1 / math.log2(5)
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    q1 = scores["q1"]
    assert q1["nDCG@10"] == pytest.approx(dcg / idcg, abs=1e-6)
    assert q1["MRR@10"] == pytest.approx(0.5, abs=1e-6)
    assert q1["R@5"] == pytest.approx(1.0, abs=1e-6)
    assert q1["MAP"] == pytest.approx((1 / 2 + 2 / 4) / 2, abs=1e-6)

    for q in ("q2", "q3"):
        assert all(v == 0.0 for v in scores[q].values()), q

    q4 = scores["q4"]
    assert q4["MRR@10"] == pytest.approx(1.0, abs=1e-6)
    assert q4["R@5"] == pytest.approx(1 / 3, abs=1e-6)
    assert q4["MAP"] == pytest.approx(1 / 3, abs=1e-6)
    ideal4 = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert q4["nDCG@10"] == pytest.approx(1 / ideal4, abs=1e-6)

    means = mean_scores(scores)
    assert means["MRR@10"] == pytest.approx((0.5 + 0 + 0 + 1) / 4, abs=1e-6)
    assert means["R@20"] == pytest.approx((1 + 0 + 0 + 1 / 3) / 4, abs=1e-6)


def test_recall_cutoffs() -> None:
    qrels = {"q": {"r5": 1, "r15": 1}}
    ranking = [f"n{i}" for i in range(1, 21)]
    ranking[4], ranking[14] = "r5", "r15"
    s = per_query(qrels, {"q": ranking})["q"]
    assert (s["R@5"], s["R@10"], s["R@20"]) == (0.5, 0.5, 1.0)
    assert s["MRR@10"] == pytest.approx(0.2, abs=1e-6)


def test_first_relevant_rank() -> None:
    assert first_relevant_rank(["x", "a", "b"], {"a": 2, "b": 1}) == 2
    assert first_relevant_rank(["x"], {"a": 2}) is None


def test_language_pairs_restrict_judgments_to_the_case_language() -> None:
    questions = [Question("q1", "...", "da"), Question("q2", "...", "en")]
    qrels = {"q1": {"dk1": 2, "en1": 1, "dk0": 0}, "q2": {"dk1": 2}}
    langs = {"dk1": "da", "dk0": "da", "en1": "en"}
    pairs = pair_qrels(questions, qrels, langs)
    assert pairs == {
        "da->da": {"q1": {"dk1": 2}},
        "da->en": {"q1": {"en1": 1}},
        "en->da": {"q2": {"dk1": 2}},
    }
    # Within da->en, the Danish answer ranked first does not count: RR is 1/2 there.
    scores = per_query(pairs["da->en"], {"q1": ["dk1", "en1"]})
    assert scores["q1"]["MRR@10"] == pytest.approx(0.5, abs=1e-6)


def test_paired_test_units_and_edge_cases() -> None:
    assert group_units({"q1": 1.0, "q2": 0.0, "q3": 0.5}, {"q1": "n1", "q2": "n1"}) == {
        "n1": 0.5,
        "q3": 0.5,
    }
    same = paired_test("a", "b", {"q1": 0.5, "q2": 0.2}, {"q1": 0.5, "q2": 0.2}, measure="m")
    assert same.t_p == 1.0 and same.wilcoxon_p == 1.0 and same.ties == 2
    a = {f"q{i}": 1.0 for i in range(12)}
    b = {f"q{i}": 0.0 for i in range(12)}
    better = paired_test("a", "b", a, b, measure="m")
    assert better.wins == 12 and better.wilcoxon_p is not None and better.wilcoxon_p < 0.01
