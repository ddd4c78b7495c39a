"""Appending to an index ranks exactly like building it anew; BM25 matches bm25s.

The seed corpus is indexed once per session (``seed_data_dir``); these tests re-index its cases
in other orders and pieces with the same vectors (handed in as ``precomputed``, so nothing is
embedded twice) and compare what a user would see: the ranked cases and their scores.
"""

from __future__ import annotations

import copy
from pathlib import Path

import bm25s
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from casesearch.index.search.searcher import Searcher, top_rows
from casesearch.index.storage import build as build_module
from casesearch.index.storage.build import build_index, index_dir
from casesearch.index.storage.lexical import LexicalIndex, Postings, analyze
from casesearch.index.storage.manifest import Manifest
from casesearch.index.storage.segments import read_hashes, read_vectors
from casesearch.ingest.store import load_store

QUESTIONS = [
    "how to involve unemployed residents in waste work",
    "hvordan inddrager man unge i byudvikling?",
    "klimaborgerting",
    "co-creation with citizens in Frederiksberg",
    "borgerbudget og frivillige",
]


def seed_vectors(seed_data_dir: Path) -> dict[str, np.ndarray]:
    """Every stored chunk vector of an index by chunk hash (to build others without embedding)."""
    folder = index_dir(seed_data_dir)
    out: dict[str, np.ndarray] = {}
    for entry in Manifest.load(folder).segments:
        seg = folder / entry.name
        vectors = np.asarray(read_vectors(seg))
        out.update(zip(read_hashes(seg), vectors, strict=True))
    return out


def ranking(
    searcher: Searcher, mode: str, questions: list[str] = QUESTIONS
) -> list[list[tuple[str, float]]]:
    """Top 10 (case, score) of every question."""
    return [
        [(r.case_id, r.score) for r in searcher.search(q, 10, mode=mode, highlight=False).results]
        for q in questions
    ]


def _assert_same_ranking(a: Searcher, b: Searcher) -> None:
    for mode in ("hybrid", "dense", "bm25"):
        for got, want in zip(ranking(a, mode), ranking(b, mode), strict=True):
            assert [c for c, _ in got] == [c for c, _ in want], mode
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-4)


@pytest.fixture
def seed_cases(seed_data_dir: Path):
    store = load_store(seed_data_dir)
    assert store is not None
    return store.cases


def test_appending_cases_ranks_like_a_full_build(
    seed_cases, seed_data_dir: Path, tmp_path: Path, embedder
) -> None:
    vectors = seed_vectors(seed_data_dir)
    data_dir = tmp_path / "data"
    first = build_index(seed_cases[:-12], data_dir, embedder, precomputed=vectors)
    assert first.mode == "full" and first.embedded == 0
    added = build_index(seed_cases, data_dir, embedder, precomputed=vectors)
    assert added.mode == "append"
    assert added.segments == 2
    assert added.chunks == sum(len(c.chunks) for c in seed_cases)
    _assert_same_ranking(Searcher.load(data_dir, embedder), Searcher.load(seed_data_dir, embedder))


def test_changed_and_removed_cases_leave_the_appended_index(
    seed_cases, seed_data_dir: Path, tmp_path: Path, embedder
) -> None:
    vectors = seed_vectors(seed_data_dir)
    data_dir = tmp_path / "data"
    build_index(seed_cases, data_dir, embedder, precomputed=vectors)

    cases = copy.deepcopy(seed_cases)
    removed = cases.pop(3)
    changed = cases[5]
    changed.title = changed.title + " (revised)"  # every chunk's embedded text changes
    report = build_index(cases, data_dir, embedder)
    assert report.mode == "append"
    assert report.embedded == len(changed.chunks)
    assert report.removed == len(removed.chunks) + len(changed.chunks)
    searcher = Searcher.load(data_dir, embedder)
    assert searcher.case(removed.id) is None
    found = searcher.case(changed.id)
    assert found is not None and found.title == changed.title
    assert len(searcher.cases) == len(cases)
    assert len({c.id for c in searcher.cases}) == len(cases)

    fresh_dir = tmp_path / "fresh"
    fresh_vectors = {**vectors, **seed_vectors(data_dir)}
    build_index(cases, fresh_dir, embedder, rebuild=True, precomputed=fresh_vectors)
    _assert_same_ranking(searcher, Searcher.load(fresh_dir, embedder))


def test_unchanged_cases_write_nothing(seed_cases, seed_data_dir, tmp_path, embedder) -> None:
    data_dir = tmp_path / "data"
    build_index(seed_cases, data_dir, embedder, precomputed=seed_vectors(seed_data_dir))
    manifest = (index_dir(data_dir) / "manifest.json").read_text()
    again = build_index(seed_cases, data_dir, embedder)
    assert again.mode == "unchanged"
    assert again.embedded == 0 and again.reused == again.chunks
    assert (index_dir(data_dir) / "manifest.json").read_text() == manifest


def test_too_many_segments_are_merged_without_embedding_again(
    seed_cases, seed_data_dir: Path, tmp_path: Path, embedder, monkeypatch
) -> None:
    monkeypatch.setattr(build_module, "MAX_SEGMENTS", 3)
    vectors = seed_vectors(seed_data_dir)
    data_dir = tmp_path / "data"
    modes = []
    for end in (60, 70, 80, 90):
        modes.append(build_index(seed_cases[:end], data_dir, embedder, precomputed=vectors))
    assert [r.mode for r in modes] == ["full", "append", "append", "full"]
    assert [r.segments for r in modes] == [1, 2, 3, 1]
    # The merge reads vectors and postings from the segments; nothing is embedded again.
    merged = build_index(seed_cases, data_dir, embedder, rebuild=False)
    assert merged.mode == "unchanged" and merged.embedded == 0
    _assert_same_ranking(Searcher.load(data_dir, embedder), Searcher.load(seed_data_dir, embedder))


def test_many_deletions_trigger_a_merge(seed_cases, seed_data_dir, tmp_path, embedder) -> None:
    vectors = seed_vectors(seed_data_dir)
    data_dir = tmp_path / "data"
    build_index(seed_cases, data_dir, embedder, precomputed=vectors)
    kept = seed_cases[: len(seed_cases) // 2]
    report = build_index(kept, data_dir, embedder)
    assert report.mode == "full" and report.segments == 1 and report.embedded == 0
    assert Searcher.load(data_dir, embedder).dense.size == sum(len(c.chunks) for c in kept)


# --------------------------------------------------------------------------- BM25
TEXTS = [
    ("Residents sorted waste together and the waste guides trained neighbours.", "en"),
    ("Unemployed residents became waste guides in the housing area.", "en"),
    ("Borgerne stemte om forslag til biblioteket og unge frivillige.", "da"),
    ("De unge tegnede selv skaterparken sammen med kommunen og borgerne.", "da"),
    ("A citizens' assembly on climate gave recommendations to the council.", "en"),
    ("Klimaborgerting samler tilfældigt udvalgte borgere om klimapolitik.", "da"),
]


@pytest.mark.parametrize(
    "query", ["waste guides for unemployed residents", "unge borgere", "climate climate"]
)
def test_query_time_bm25_equals_bm25s_lucene(query: str) -> None:
    """The same Lucene BM25 as bm25s computes, for each language's reading of the question."""
    texts, langs = [t for t, _ in TEXTS], [lang for _, lang in TEXTS]
    ours = LexicalIndex.build(texts, langs).scores(query)
    reference = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    reference.index([analyze(t, lang) for t, lang in TEXTS], show_progress=False)
    expected = np.zeros(len(texts), dtype=np.float32)
    for lang in ("da", "en"):
        tokens = [t for t in analyze(query, lang) if t in reference.vocab_dict]
        if tokens:
            scores = reference.get_scores(tokens)
            mask = np.asarray([x == lang for x in langs])
            expected += np.where(mask, scores, 0.0).astype(np.float32)
    assert expected.max() > 0
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


def test_postings_survive_take_and_concat() -> None:
    texts, langs = [t for t, _ in TEXTS], [lang for _, lang in TEXTS]
    whole = Postings.from_texts(texts, langs)
    parts = [Postings.from_texts(texts[:2], langs[:2]), Postings.from_texts(texts[2:], langs[2:])]
    joined = Postings.concat(parts).take(np.arange(len(texts)))
    for row in range(len(texts)):
        a = {whole.vocab[i]: v for i, v in zip(*_row(whole, row), strict=True)}
        b = {joined.vocab[i]: v for i, v in zip(*_row(joined, row), strict=True)}
        assert a == b and a
    assert sorted(joined.vocab) == sorted(whole.vocab)


def _row(postings: Postings, row: int) -> tuple[list[int], list[float]]:
    m = postings.matrix
    start, end = m.indptr[row], m.indptr[row + 1]
    return m.indices[start:end].tolist(), m.data[start:end].tolist()


def test_a_damaged_segment_is_named_with_the_way_out(
    seed_cases, seed_data_dir: Path, tmp_path: Path, embedder
) -> None:
    from casesearch.index.storage.manifest import IndexDamagedError

    data_dir = tmp_path / "data"
    build_index(seed_cases, data_dir, embedder, precomputed=seed_vectors(seed_data_dir))
    folder = index_dir(data_dir)
    segment = folder / Manifest.load(folder).segments[0].name
    (segment / "postings.npz").write_bytes(b"not a matrix")
    with pytest.raises(IndexDamagedError, match="--rebuild") as info:
        Searcher.load(data_dir, embedder)
    assert str(folder) in str(info.value)
    # ... and the way out works: a rebuild replaces the damaged index.
    vectors = seed_vectors(seed_data_dir)
    report = build_index(seed_cases, data_dir, embedder, rebuild=True, precomputed=vectors)
    assert report.mode == "full"
    assert Searcher.load(data_dir, embedder).search("klimaborgerting", 3).results


@given(
    st.lists(st.integers(0, 50), min_size=0, max_size=300),
    st.integers(1, 120),
)
def test_top_rows_is_a_stable_sort_cut_to_n(values: list[int], n: int) -> None:
    """The partial selection returns what a full stable sort would (ties: earlier first)."""
    scores = np.asarray(values, dtype=np.float32)
    rows = np.arange(1000, 1000 + len(values), dtype=np.int64)
    expected = rows[np.argsort(-scores, kind="stable")[:n]]
    got = top_rows(rows, scores, n)
    np.testing.assert_array_equal(np.sort(scores[got - 1000])[::-1], scores[expected - 1000])
    boundary = scores[expected[-1] - 1000] if len(expected) else None
    strict = [r for r in expected if scores[r - 1000] != boundary]
    assert set(strict) <= set(got.tolist())
    assert list(got) == sorted(got, key=lambda r: (-scores[r - 1000], r))
