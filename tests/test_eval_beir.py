"""BEIR folders: ids survive indexing, the index is cached, query languages are inferred."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casesearch.eval.beir import (
    beir_cases,
    load_beir_questions,
    main_languages,
    prepare_beir_index,
    query_language_from_name,
)
from casesearch.eval.runner import run_evaluation

SHARED_EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "eval"

DOCS = [
    (
        "p-1",
        "Harbour_Bath",
        "The city opened a harbour bath after residents campaigned for clean "
        "water. Swimmers now use it every summer, and the council keeps the water tested daily.",
    ),
    (
        "p-2",
        "Harbour_Bath",
        "A second paragraph of the same article: the bath was designed with "
        "local schools, who asked for a diving tower and a quiet area for older swimmers.",
    ),
    (
        "p-3",
        "Allotments",
        "Allotment gardens give families without a garden a place to grow "
        "vegetables. Waiting lists are long, so the municipality is planning new plots.",
    ),
]
QUERIES = [
    ("a", "who designed the harbour bath with the city"),
    ("b", "waiting lists for allotment gardens"),
]
QRELS = [("a", "p-2"), ("b", "p-3")]


def _beir_folder(root: Path) -> Path:
    folder = root / "tiny-en-en"
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for doc_id, title, text in DOCS:
            fh.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for qid, text in QUERIES:
            fh.write(json.dumps({"_id": qid, "text": text}) + "\n")
    rows = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t1" for q, d in QRELS)]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_cases_keep_beir_ids_even_with_shared_titles(tmp_path: Path) -> None:
    cases = beir_cases(_beir_folder(tmp_path))
    assert [c.id for c in cases] == ["p-1", "p-2", "p-3"]
    assert cases[0].title == cases[1].title == "Harbour Bath"
    assert all(c.lang == "en" and c.chunks for c in cases)
    assert cases[1].chunks[0].id == "p-2#0"


def test_query_language_from_folder_name() -> None:
    assert query_language_from_name(Path("xquad-da-en")) == "da"
    assert query_language_from_name(Path("ntrex-title-da-en")) == "da"
    assert query_language_from_name(Path("xquad-mixed")) is None


def test_stray_detected_languages_are_not_question_languages() -> None:
    langs = ["da"] * 238 + ["en"] * 240 + ["no", "de", "unknown"]
    assert main_languages(langs) == ["da", "en"]


@pytest.mark.slow
def test_index_is_built_once_and_evaluated(tmp_path: Path, embedder) -> None:
    from casesearch.index.search.searcher import Searcher

    folder = _beir_folder(tmp_path)
    data_dir = tmp_path / "data"
    first = prepare_beir_index(folder, data_dir, embedder)
    manifest = first / "index" / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    assert prepare_beir_index(folder, data_dir, embedder) == first
    assert manifest.stat().st_mtime_ns == stamp
    assert first.parent.name == "eval-cache"

    searcher = Searcher.load(first, embedder)
    qset = load_beir_questions(folder, searcher.languages)
    assert {q.lang for q in qset.questions} == {"en"}
    report = run_evaluation(searcher, qset, ["dense", "bm25"])
    assert report.metrics["dense"]["en->en"]["questions"] == 2
    assert report.score("bm25", "all", "MRR@10") == 1.0


@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED_EVAL.exists(), reason="../shared/data is not present")
def test_mixed_set_query_languages_are_detected() -> None:
    """xquad-mixed names no pair: detection must agree with the ids' language suffix."""
    qset = load_beir_questions(SHARED_EVAL / "xquad-mixed", ["da", "en"])
    assert len(qset.questions) == 1176
    agree = sum(q.id.endswith("-" + str(q.lang)) for q in qset.questions)
    assert agree / len(qset.questions) > 0.95
