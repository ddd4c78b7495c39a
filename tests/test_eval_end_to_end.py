"""The evaluation run end to end with the real model over the seed index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casesearch.eval.dataset import load_questions
from casesearch.eval.metrics import MEASURE_NAMES
from casesearch.eval.report import load_latest, write_report
from casesearch.eval.runner import run_evaluation

pytestmark = pytest.mark.slow

QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "questions"
EASY = "q002"  # "how to involve unemployed residents in waste work"
EASY_CASE = "partnerskabet-urban-planen"


def test_small_run_writes_reports_and_finds_the_easy_case(searcher, tmp_path: Path) -> None:
    qset = load_questions(QUESTIONS)
    easy = next(q for q in qset.questions if q.id == EASY)
    assert easy.text == "how to involve unemployed residents in waste work"
    assert qset.qrels[EASY][EASY_CASE] == 2
    subset = qset.subset(["q001", EASY, "q003", "q004"])

    settings_before = searcher.settings
    embedder_before = searcher.embedder
    report = run_evaluation(searcher, subset, ["hybrid", "dense", "bm25"], depth=20)
    assert searcher.settings is settings_before and searcher.embedder is embedder_before

    for mode, pairs in report.metrics.items():
        assert pairs["all"]["questions"] == 4, mode
        for pair, values in pairs.items():
            for name in MEASURE_NAMES:
                assert 0.0 <= values[name] <= 1.0, (mode, pair, name)
    by_id = {q["id"]: q for q in report.questions}
    for mode in ("dense", "hybrid"):
        easy_result = by_id[EASY]["modes"][mode]
        assert easy_result["metrics"]["MRR@10"] == 1.0, mode
        assert easy_result["first_relevant_rank"] == 1
        assert easy_result["ranking"][0] == EASY_CASE
    assert {"en->en", "en->da", "da->da"} <= set(report.metrics["hybrid"])

    data_dir = tmp_path / "data"
    folder = write_report(report, data_dir=data_dir)
    for name in ("report.md", "report.json", "chart.png"):
        assert (folder / name).stat().st_size > 0, name
    assert (folder / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert saved["model_id"] == searcher.manifest.model_id
    assert saved["index"]["corpus_fingerprint"] == searcher.manifest.corpus_fingerprint
    assert saved["questions"][1]["modes"]["dense"]["first_relevant_rank"] == 1
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "Worst questions" in md and "Paired tests" in md
    latest = load_latest(data_dir)
    assert latest is not None and latest["report_dir"] == str(folder.resolve())
    assert load_latest(tmp_path / "nothing-here") is None


def test_cli_runs_the_tune_split(seed_data_dir: Path, tmp_path: Path, capsys) -> None:
    from casesearch.cli.main import main

    out = tmp_path / "report"
    code = main(
        [
            "eval",
            "--data-dir",
            str(seed_data_dir),
            "--mode",
            "dense",
            "--split",
            "tune",
            "--out",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed["metrics"]) == {"dense"}
    saved = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert saved["config"]["split"] == "tune"
    assert all(q["split"] == "tune" for q in saved["questions"])
    assert saved["config"]["questions"] == len(saved["questions"]) > 10
