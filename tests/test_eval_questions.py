"""Integrity checks for the labelled question set in eval/questions/."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QDIR = ROOT / "eval" / "questions"
CORPUS = ROOT / "corpus"


def _queries() -> list[dict]:
    with open(QDIR / "queries.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _qrels() -> list[tuple[str, str, int]]:
    with open(QDIR / "qrels" / "test.tsv", encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        assert next(reader) == ["query-id", "corpus-id", "score"]
        return [(q, c, int(s)) for q, c, s in reader]


def _cases() -> dict[str, tuple[str, str]]:
    with open(QDIR / "cases.tsv", encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        assert next(reader) == ["id", "title", "lang"]
        return {cid: (title, lang) for cid, title, lang in reader}


QUERIES = _queries()
QRELS = _qrels()
CASES = _cases()
BY_QUERY: dict[str, dict[str, int]] = defaultdict(dict)
for _q, _c, _s in QRELS:
    BY_QUERY[_q][_c] = _s


def test_query_ids_unique_and_fields_valid():
    ids = [q["_id"] for q in QUERIES]
    assert len(ids) == len(set(ids))
    for q in QUERIES:
        assert q["text"].strip()
        meta = q["metadata"]
        assert meta["lang"] in {"da", "en"}
        assert meta["split"] in {"tune", "test"}
        assert meta["kind"] in {"same-language", "cross-language", "both"}
        assert meta["need"].startswith("n")
    texts = [q["text"].strip().lower() for q in QUERIES]
    assert len(texts) == len(set(texts)), "duplicate question text"


def test_size_and_languages():
    langs = Counter(q["metadata"]["lang"] for q in QUERIES)
    assert len(QUERIES) >= 80
    assert langs["da"] >= 35
    assert langs["en"] >= 35


def test_every_query_has_an_answer():
    for q in QUERIES:
        assert 2 in BY_QUERY[q["_id"]].values(), q["_id"]


def test_qrels_are_well_formed():
    qids = {q["_id"] for q in QUERIES}
    pairs = [(q, c) for q, c, _ in QRELS]
    assert len(pairs) == len(set(pairs)), "duplicate judgment"
    for q, c, s in QRELS:
        assert q in qids, q
        assert s in {1, 2}, (q, c, s)
        assert c in CASES, f"{q}: unknown case id {c}"


def test_case_list_is_consistent():
    assert len(CASES) >= 80
    for title, lang in CASES.values():
        assert title.strip() and lang in {"da", "en"}
    try:
        from casesearch.ingest.ids import case_id
    except ImportError:
        pytest.skip("casesearch.ingest.ids not importable")
    for cid, (title, _) in CASES.items():
        assert case_id(title) == cid, title


def test_needs_are_consistent():
    by_need: dict[str, list[dict]] = defaultdict(list)
    for q in QUERIES:
        by_need[q["metadata"]["need"]].append(q)
    for need, qs in by_need.items():
        assert len({q["metadata"]["split"] for q in qs}) == 1, f"{need} spans both splits"
        # The same information need carries the same judgments in every language.
        judged = {tuple(sorted(BY_QUERY[q["_id"]].items())) for q in qs}
        assert len(judged) == 1, f"{need} has different judgments per question"
    both_langs = [
        n for n, qs in by_need.items() if {q["metadata"]["lang"] for q in qs} == {"da", "en"}
    ]
    assert len(both_langs) >= len(by_need) / 2, "most needs should be asked in both languages"


def test_kind_matches_case_languages():
    for q in QUERIES:
        langs = {CASES[c][1] for c in BY_QUERY[q["_id"]]}
        lang = q["metadata"]["lang"]
        expected = (
            "same-language"
            if langs == {lang}
            else "cross-language"
            if lang not in langs
            else "both"
        )
        assert q["metadata"]["kind"] == expected, q["_id"]


def test_splits_are_stratified():
    splits = Counter(q["metadata"]["split"] for q in QUERIES)
    assert 0.3 <= splits["tune"] / len(QUERIES) <= 0.5
    for split in ("tune", "test"):
        qs = [q for q in QUERIES if q["metadata"]["split"] == split]
        assert {q["metadata"]["lang"] for q in qs} == {"da", "en"}, split
        cross = {q["metadata"]["lang"] for q in qs if q["metadata"]["kind"] == "cross-language"}
        assert cross == {"da", "en"}, f"{split}: cross-language questions in both directions"


def test_cross_language_in_both_directions():
    cross = Counter(
        q["metadata"]["lang"] for q in QUERIES if q["metadata"]["kind"] == "cross-language"
    )
    assert cross["en"] >= 10, "English questions answered only by Danish cases"
    assert cross["da"] >= 2, "Danish questions answered only by English cases"


def test_required_needs_present():
    texts = {q["text"]: q["_id"] for q in QUERIES}
    qid = texts["hvordan inddrager man unge i byudvikling?"]
    assert any(s == 2 for s in BY_QUERY[qid].values())
    urban = "partnerskabet-urban-planen"
    waste = [
        q
        for q in QUERIES
        if BY_QUERY[q["_id"]].get(urban) == 2 and ("waste" in q["text"] or "affald" in q["text"])
    ]
    assert {q["metadata"]["lang"] for q in waste} == {"da", "en"}
    klima = "klimaborgerting-tendenser-udfordringer-og-muligheder"
    assert any(
        q["metadata"]["lang"] == "en" and BY_QUERY[q["_id"]].get(klima) == 2 for q in QUERIES
    )


def test_qrels_case_ids_exist_in_ingested_store(tmp_path):
    """Ingest the default corpus and check that every judged case id is a case in the store."""
    pipeline = pytest.importorskip(
        "casesearch.ingest.pipeline", reason="casesearch.ingest.pipeline not built yet"
    )
    store_mod = pytest.importorskip(
        "casesearch.ingest.store", reason="casesearch.ingest.store not built yet"
    )
    if not hasattr(pipeline, "ingest_paths") or not hasattr(store_mod, "load_store"):
        pytest.skip(
            "casesearch.ingest.pipeline.ingest_paths / ingest.store.load_store not available yet"
        )
    if not CORPUS.is_dir() or not any(p.suffix != ".md" for p in CORPUS.iterdir()):
        pytest.skip("corpus/ holds no documents yet")
    docs = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "README.md")
    data_dir = tmp_path / "data"
    pipeline.ingest_paths(docs, data_dir)
    store = store_mod.load_store(data_dir)
    assert store is not None, "ingest wrote no readable store"
    stored = {c.id: c for c in store.cases}
    missing = sorted({c for _, c, _ in QRELS} - set(stored))
    assert not missing, f"qrels case ids not in the store: {missing}"
    # The languages in cases.tsv (which decide each question's kind) match the store's.
    wrong_lang = sorted(
        cid
        for cid, (_, lang) in CASES.items()
        if cid in stored and getattr(stored[cid], "lang", lang) != lang
    )
    assert not wrong_lang, f"case language differs from cases.tsv: {wrong_lang}"


def test_files_match_the_build_script():
    """queries.jsonl and qrels/test.tsv are generated from build_questions.py; keep them in sync."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_questions", QDIR / "build_questions.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    expected = {(q, t): dict(n["rel"]) for n in build.NEEDS for _, t in n["q"] for q in [n["need"]]}
    actual = {(q["metadata"]["need"], q["text"]): BY_QUERY[q["_id"]] for q in QUERIES}
    assert actual == expected, "run python eval/questions/build_questions.py"
    assert {(cid, t, lang) for cid, t, lang in build.cases()} == {
        (cid, t, lang) for cid, (t, lang) in CASES.items()
    }
