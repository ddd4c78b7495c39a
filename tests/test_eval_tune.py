"""Tuning swaps settings on the loaded searcher, ranks them, and leaves the searcher as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from casesearch.eval.dataset import load_questions
from casesearch.eval.tune import describe, score_grid, settings_grid, tune
from casesearch.index.search.fusion import FusionSettings
from casesearch.index.search.searcher import SearchSettings

QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "questions"


def test_grid_covers_both_fusion_methods() -> None:
    grid = settings_grid(weights=(0.2,), rrf_ks=(60,), aggregations=("max",), candidates=(100,))
    assert {s.fusion.method for s in grid} == {"minmax", "rrf"}
    assert all(describe(s).startswith(s.fusion.method) for s in grid)


@pytest.mark.slow
def test_grid_is_scored_best_first_and_settings_restored(searcher) -> None:
    qset = load_questions(QUESTIONS)
    tune_ids = [q.id for q in qset.questions if q.split == "tune"][:6]
    small = qset.subset(tune_ids)
    before_settings, before_embedder = searcher.settings, searcher.embedder
    grid = [
        SearchSettings(),
        SearchSettings(fusion=FusionSettings("minmax", 0.5, 60)),
        SearchSettings(fusion=FusionSettings("rrf", 0.3, 10)),
    ]
    points = score_grid(searcher, small, grid)
    assert searcher.settings is before_settings and searcher.embedder is before_embedder
    scores = [p.scores["nDCG@10"] for p in points]
    assert scores == sorted(scores, reverse=True)
    assert {describe(p.settings) for p in points} == {describe(s) for s in grid}

    result = tune(searcher, qset.subset([*tune_ids, "q001", "q002"]), grid=grid)
    assert result["test"]["pairs"]["all"]["questions"] == 2
    assert result["chosen"] == describe(points[0].settings)
