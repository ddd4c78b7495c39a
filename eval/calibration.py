"""Fitting and checking the relevance calibration (``casesearch eval --calibrate``).

Every labelled question of the tune split, plus the questions that nothing in the corpus
answers (``questions/unanswerable.jsonl``), is searched as a user would search it; every
returned case becomes one example: its scores (see
:func:`casesearch.index.search.relevance.features`) and whether it answers the question
(grade 2). A logistic regression (scikit-learn) per search mode and language pair turns the
scores into a probability; pairs with too few answering cases share one model fitted on all
pairs. The fit is then checked on the test split: Brier score, expected calibration error and a
reliability table per pair, and what the front ends would say for unanswerable questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler

from casesearch.eval.dataset import Question, QuestionSet
from casesearch.index.search.relevance import (
    ANY_PAIR,
    FEATURES,
    GOOD,
    Calibration,
    PairModel,
    match_of,
    pair_of,
)
from casesearch.index.search.relevance import features as result_features
from casesearch.index.search.searcher import QueryError, Searcher

#: Cases searched per question: the app's and the command line's default list length. The
#: fused score is min-max normalised over ``max(100, 10 * k)`` candidates, so fitting at the
#: length users get keeps that feature as they see it.
DEPTH = 10
#: A language pair gets a model of its own from this many answering examples (and as many
#: non-answering ones) on; fewer share the model of all pairs.
MIN_POSITIVES = 15
#: Features per mode: the scores each mode has.
MODE_FEATURES: dict[str, tuple[str, ...]] = {
    "hybrid": FEATURES,
    "dense": (
        "similarity",
        "score",
        "log_rank",
        "top_similarity",
        "below_top",
        "cross_language",
    ),
    "bm25": ("log_bm25", "score", "log_rank", "cross_language"),
}
#: Bins of the reliability table and of the expected calibration error.
BINS = 10


@dataclass
class Examples:
    """One row per returned case: features, answers-the-question label, pair, question."""

    matrix: np.ndarray
    labels: np.ndarray
    pairs: list[str]
    questions: list[str]
    answerable: dict[str, bool] = field(default_factory=dict)

    def where(self, mask: np.ndarray) -> Examples:
        idx = np.flatnonzero(mask)
        return Examples(
            self.matrix[idx],
            self.labels[idx],
            [self.pairs[i] for i in idx],
            [self.questions[i] for i in idx],
            self.answerable,
        )


def collect(
    searcher: Searcher,
    questions: Sequence[Question],
    qrels: dict[str, dict[str, int]],
    mode: str,
    depth: int = DEPTH,
) -> Examples:
    """Search every question and turn each result into an example."""
    rows: list[np.ndarray] = []
    labels: list[int] = []
    pairs: list[str] = []
    qids: list[str] = []
    answerable: dict[str, bool] = {}
    vectors = searcher.embed_queries([q.text for q in questions]) if mode != "bm25" else None
    for i, question in enumerate(questions):
        judged = qrels.get(question.id, {})
        answerable[question.id] = any(g >= 2 for g in judged.values())
        try:
            response = searcher.search(
                question.text,
                depth,
                mode=mode,
                vector=None if vectors is None else vectors[i],
                highlight=False,
            )
        except QueryError:
            continue
        if not response.results:
            continue
        rows.append(result_features(response))
        for result in response.results:
            labels.append(int(judged.get(result.case_id, 0) >= 2))
            pairs.append(pair_of(response.query_language, result.lang))
            qids.append(question.id)
    matrix = np.concatenate(rows) if rows else np.zeros((0, len(FEATURES)))
    return Examples(matrix, np.asarray(labels, dtype=np.int64), pairs, qids, answerable)


def fit_model(examples: Examples, names: tuple[str, ...]) -> PairModel:
    """A standardised logistic regression on the named features (scikit-learn)."""
    columns = [FEATURES.index(n) for n in names]
    x = examples.matrix[:, columns]
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    regression = LogisticRegression(C=1.0, max_iter=1000)
    regression.fit((x - scaler.mean_) / scale, examples.labels)
    return PairModel(
        features=names,
        mean=tuple(float(v) for v in scaler.mean_),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in regression.coef_[0]),
        intercept=float(regression.intercept_[0]),
        examples=len(examples.labels),
        positives=int(examples.labels.sum()),
    )


def fit_mode(examples: Examples, names: tuple[str, ...]) -> dict[str, PairModel]:
    """One model for all pairs, plus one per pair that has enough examples of both kinds."""
    models = {ANY_PAIR: fit_model(examples, names)}
    for pair in sorted(set(examples.pairs)):
        part = examples.where(np.asarray([p == pair for p in examples.pairs]))
        positives = int(part.labels.sum())
        if pair != ANY_PAIR and min(positives, len(part.labels) - positives) >= MIN_POSITIVES:
            models[pair] = fit_model(part, names)
    return models


def predict(models: dict[str, PairModel], examples: Examples) -> np.ndarray:
    """Probabilities of the examples under a mode's models."""
    out = np.zeros(len(examples.labels))
    for i, pair in enumerate(examples.pairs):
        model = models.get(pair) or models[ANY_PAIR]
        out[i] = model.predict(examples.matrix[i : i + 1])[0]
    return out


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> list[dict[str, float]]:
    """Equal-width bins of predicted probability: count, mean prediction, observed share."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    table = []
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        table.append(
            {
                "from": float(edges[b]),
                "to": float(edges[b + 1]),
                "n": n,
                "predicted": float(probs[mask].mean()) if n else float("nan"),
                "observed": float(labels[mask].mean()) if n else float("nan"),
            }
        )
    return table


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """Mean |predicted − observed| over equal-width bins, weighted by the bins' sizes."""
    total = len(labels)
    if total == 0:
        return float("nan")
    table = reliability(probs, labels, bins)
    return float(
        sum(row["n"] / total * abs(row["predicted"] - row["observed"]) for row in table if row["n"])
    )


def measures(probs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Brier score, ECE, AUC, the base rate and the Brier score of predicting the base rate."""
    if len(labels) == 0:
        return {"examples": 0}
    base = float(labels.mean())
    both = 0 < labels.sum() < len(labels)
    return {
        "examples": len(labels),
        "positives": int(labels.sum()),
        "brier": float(brier_score_loss(labels, probs)) if both else float("nan"),
        "brier_base_rate": float(np.mean((base - labels) ** 2)),
        "ece": expected_calibration_error(probs, labels),
        "auc": float(roc_auc_score(labels, probs)) if both else float("nan"),
        "mean_predicted": float(probs.mean()),
        "observed": base,
    }


def verdicts(probs: np.ndarray, examples: Examples) -> dict[str, object]:
    """What a front end says per question: does it call the list "nothing answers"?

    Returns counts for answerable and unanswerable questions: how many lists had no result
    above :data:`GOOD` (the "nothing in this collection seems to answer" notice), and how many
    answerable lists had their first answering case marked strong or good.
    """
    best: dict[str, float] = {}
    for p, q in zip(probs, examples.questions, strict=True):
        best[q] = max(best.get(q, 0.0), float(p))
    answerable = [q for q in best if examples.answerable.get(q)]
    unanswerable = [q for q in best if not examples.answerable.get(q)]
    return {
        "answerable": len(answerable),
        "answerable_said_nothing": sum(1 for q in answerable if best[q] < GOOD),
        "unanswerable": len(unanswerable),
        "unanswerable_said_nothing": sum(1 for q in unanswerable if best[q] < GOOD),
        "unanswerable_best": {q: round(best[q], 3) for q in unanswerable},
        "labels": {q: match_of(best[q]) for q in best},
    }


@dataclass
class CalibrationRun:
    """A fitted calibration and its check on held-out questions."""

    calibration: Calibration
    #: ``{mode: {pair: measures}}`` on the check split (pair ``all`` overall).
    checked: dict[str, dict[str, dict[str, float]]]
    #: ``{mode: reliability table}`` on the check split, all pairs together.
    tables: dict[str, list[dict[str, float]]]
    #: ``{mode: verdicts}`` on the check split.
    verdicts: dict[str, dict[str, object]]
    #: ``{mode: {pair: measures}}`` on the fit split (how well it fits what it saw).
    fitted: dict[str, dict[str, dict[str, float]]]


def _by_pair(probs: np.ndarray, examples: Examples) -> dict[str, dict[str, float]]:
    out = {"all": measures(probs, examples.labels)}
    for pair in sorted(set(examples.pairs)):
        mask = np.asarray([p == pair for p in examples.pairs])
        out[pair] = measures(probs[mask], examples.labels[mask])
    return out


def calibrate(
    searcher: Searcher,
    answerable: QuestionSet,
    unanswerable: Sequence[Question],
    modes: Sequence[str] = ("hybrid", "dense", "bm25"),
    *,
    fit_split: str = "tune",
    check_split: str = "test",
) -> CalibrationRun:
    """Fit on ``fit_split`` (answerable and unanswerable questions), check on ``check_split``."""
    qrels = answerable.qrels
    runs: dict[str, dict[str, PairModel]] = {}
    checked: dict[str, dict[str, dict[str, float]]] = {}
    fitted: dict[str, dict[str, dict[str, float]]] = {}
    tables: dict[str, list[dict[str, float]]] = {}
    said: dict[str, dict[str, object]] = {}
    counts: dict[str, int] = {}
    for mode in modes:
        parts = {}
        for split in (fit_split, check_split):
            qs = [q for q in answerable.questions if q.split == split]
            qs += [q for q in unanswerable if q.split == split]
            counts[split] = len(qs)
            parts[split] = collect(searcher, qs, qrels, mode)
        models = fit_mode(parts[fit_split], MODE_FEATURES[mode])
        runs[mode] = models
        fitted[mode] = _by_pair(predict(models, parts[fit_split]), parts[fit_split])
        probs = predict(models, parts[check_split])
        checked[mode] = _by_pair(probs, parts[check_split])
        tables[mode] = reliability(probs, parts[check_split].labels)
        said[mode] = verdicts(probs, parts[check_split])
    calibration = Calibration(
        model_id=searcher.manifest.model_id,
        models=runs,
        fitted_on={
            "questions": answerable.name,
            "split": fit_split,
            "questions_fitted": counts.get(fit_split, 0),
            "unanswerable_fitted": sum(1 for q in unanswerable if q.split == fit_split),
            "cases_per_question": DEPTH,
            "corpus": searcher.manifest.corpus_fingerprint,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    return CalibrationRun(calibration, checked, tables, said, fitted)
