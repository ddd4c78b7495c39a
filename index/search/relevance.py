"""Calibrated relevance: the probability that a result answers the question.

A search's scores rank cases but do not say whether the best of them is any good: the fused
score of the first result is near 1 whatever was asked, and cosine similarities of
multilingual-e5-small crowd into 0.75-0.90. A :class:`Calibration` turns the scores a search
already has (similarity, BM25, fused score, rank, and how close the best result of the list
came) into a probability that the case answers the question (grade 2 in the labelled set),
with one logistic model per search mode and language pair (question language -> case
language), fitted on the tune split by :mod:`casesearch.eval.calibration` and shipped as JSON,
so nothing is trained at run time.

A calibration is only valid for the model whose scores it was fitted on: for another model the
searcher gets none, results carry no relevance and front ends say so instead of guessing. A
refit for a data directory (``casesearch eval --calibrate``) is written to
``<data-dir>/calibration.json`` and takes precedence over the shipped one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from casesearch.index.search.response import SearchResponse

#: Features a model may use, computed per result by :func:`features`.
FEATURES = (
    "similarity",
    "log_bm25",
    "score",
    "log_rank",
    "top_similarity",
    "below_top",
    "cross_language",
)
#: The file name of a calibration, in a data directory and in this package.
CALIBRATION_FILE = "calibration.json"
#: Format of the JSON file; a file of another format is ignored.
FORMAT = 1
#: Pair key of the model used when a pair has no model of its own (too few examples).
ANY_PAIR = "any"

#: Match words from a relevance: at least STRONG is "strong", at least GOOD "good", else
#: "weak". A list whose best result is below GOOD is one where nothing seems to answer.
STRONG = 0.5
GOOD = 0.2
MATCHES = ("strong", "good", "weak")


def match_of(relevance: float) -> str:
    """``strong`` / ``good`` / ``weak`` for a relevance (probability of answering)."""
    if relevance >= STRONG:
        return "strong"
    if relevance >= GOOD:
        return "good"
    return "weak"


def _finite(value: float) -> float:
    return 0.0 if value is None or math.isnan(value) else float(value)


def features(response: SearchResponse) -> np.ndarray:
    """The feature matrix of a response's results (rows in rank order, columns FEATURES).

    Missing scores (no similarity in BM25 mode, no BM25 in dense mode) count as 0; each mode
    has its own model, so a column that is always 0 in a mode simply carries no weight there.
    ``cross_language`` is 1 when the case is written in another language than the question
    (as far as that is known): the model shared by small language pairs needs it, because
    cross-language similarities sit lower than same-language ones.
    """
    sims = [_finite(r.similarity) for r in response.results]
    top = max(sims, default=0.0)
    qlang = response.query_language
    rows = [
        (
            sim,
            math.log1p(max(_finite(r.bm25), 0.0)),
            _finite(r.score),
            math.log(r.rank),
            top,
            top - sim,
            1.0 if qlang is not None and r.lang != qlang else 0.0,
        )
        for r, sim in zip(response.results, sims, strict=True)
    ]
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


def pair_of(query_language: str | None, case_language: str) -> str:
    """The language-pair key of a result (``da->en``), or :data:`ANY_PAIR` when unknown."""
    if not query_language:
        return ANY_PAIR
    return f"{query_language}->{case_language}"


@dataclass(frozen=True)
class PairModel:
    """A logistic model over standardised features: ``p = σ(b + w·(x − mean) / scale)``.

    Attributes:
        features: names of the features used (a subset of :data:`FEATURES`, in order).
        mean, scale: standardisation of each feature, learned with the model.
        coef, intercept: the logistic regression's weights.
        examples, positives: how many results (and grade-2 results) it was fitted on.
    """

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    examples: int = 0
    positives: int = 0

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Probabilities for rows of a FEATURES matrix."""
        columns = [FEATURES.index(name) for name in self.features]
        x = (matrix[:, columns] - np.asarray(self.mean)) / np.asarray(self.scale)
        z = self.intercept + x @ np.asarray(self.coef)
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "mean": [round(v, 8) for v in self.mean],
            "scale": [round(v, 8) for v in self.scale],
            "coef": [round(v, 8) for v in self.coef],
            "intercept": round(self.intercept, 8),
            "examples": self.examples,
            "positives": self.positives,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> PairModel:
        def floats(key: str) -> tuple[float, ...]:
            value = data[key]
            assert isinstance(value, list)
            return tuple(float(v) for v in value)

        names = data["features"]
        assert isinstance(names, list)
        unknown = [n for n in names if n not in FEATURES]
        if unknown:
            raise ValueError(f"unknown calibration feature(s): {', '.join(map(str, unknown))}")
        model = cls(
            features=tuple(str(n) for n in names),
            mean=floats("mean"),
            scale=floats("scale"),
            coef=floats("coef"),
            intercept=float(str(data["intercept"])),
            examples=int(str(data.get("examples", 0))),
            positives=int(str(data.get("positives", 0))),
        )
        if not len(model.features) == len(model.mean) == len(model.scale) == len(model.coef):
            raise ValueError("calibration model has mismatched lengths")
        return model


@dataclass(frozen=True)
class Calibration:
    """Relevance models of one embedding model: ``models[mode][pair]``.

    Attributes:
        model_id: the embedding model whose scores the models were fitted on.
        models: per search mode, per language pair (and :data:`ANY_PAIR`), a model.
        fitted_on: what it was fitted on (question set, split, counts), for the record.
        source: where it was read from (not stored in the file).
    """

    model_id: str
    models: dict[str, dict[str, PairModel]]
    fitted_on: dict[str, object] = field(default_factory=dict)
    source: str = ""

    def model_for(self, mode: str, pair: str) -> PairModel | None:
        by_pair = self.models.get(mode)
        if not by_pair:
            return None
        return by_pair.get(pair) or by_pair.get(ANY_PAIR)

    def covers(self, mode: str) -> bool:
        return bool(self.models.get(mode))

    def apply(self, response: SearchResponse, mode: str) -> None:
        """Set ``relevance`` and ``match`` of every result in place (nothing if no model)."""
        if not response.results or not self.covers(mode):
            return
        matrix = features(response)
        qlang = response.query_language
        for i, result in enumerate(response.results):
            model = self.model_for(mode, pair_of(qlang, result.lang))
            if model is None:
                continue
            p = float(model.predict(matrix[i : i + 1])[0])
            result.relevance = p
            result.match = match_of(p)
        response.calibrated = True

    def to_dict(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "model_id": self.model_id,
            "fitted_on": self.fitted_on,
            "thresholds": {"strong": STRONG, "good": GOOD},
            "models": {
                mode: {pair: m.to_dict() for pair, m in sorted(pairs.items())}
                for mode, pairs in sorted(self.models.items())
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, object], source: str = "") -> Calibration:
        if data.get("format") != FORMAT:
            raise ValueError(f"calibration format {data.get('format')!r} is not {FORMAT}")
        raw = data.get("models")
        assert isinstance(raw, dict)
        models = {
            str(mode): {str(pair): PairModel.from_dict(m) for pair, m in pairs.items()}
            for mode, pairs in raw.items()
        }
        fitted = data.get("fitted_on") or {}
        assert isinstance(fitted, dict)
        return cls(str(data["model_id"]), models, dict(fitted), source)

    def save(self, path: Path) -> None:
        from casesearch.core.atomic import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n")


def read_calibration(path: Path) -> Calibration:
    """A calibration file.

    Raises:
        OSError, ValueError: when it cannot be read or is not a calibration of this format.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a calibration file")
    return Calibration.from_dict(data, str(path))


def shipped_calibration() -> Calibration | None:
    """The calibration that ships with casesearch (fitted on the bundled corpus)."""
    ref = resources.files("casesearch.index.search").joinpath(CALIBRATION_FILE)
    try:
        data = json.loads(ref.read_text(encoding="utf-8"))
        return Calibration.from_dict(data, "casesearch.index.search/" + CALIBRATION_FILE)
    except (OSError, ValueError, KeyError, AssertionError):
        return None


def load_calibration(data_dir: Path | None, model_id: str) -> Calibration | None:
    """The calibration to use for an index built with ``model_id``.

    A data directory's own ``calibration.json`` (a refit) comes first, then the shipped one;
    either is used only when it was fitted on the same model. None means: no calibrated
    relevance for this index (front ends then say that results are only ordered).
    """
    candidates: list[Calibration | None] = []
    if data_dir is not None and (data_dir / CALIBRATION_FILE).exists():
        try:
            candidates.append(read_calibration(data_dir / CALIBRATION_FILE))
        except (OSError, ValueError, KeyError, AssertionError):
            candidates.append(None)
    candidates.append(shipped_calibration())
    for calibration in candidates:
        if calibration is not None and calibration.model_id == model_id:
            return calibration
    return None
