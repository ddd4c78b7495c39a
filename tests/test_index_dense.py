"""Approximate dense search (IVF, HNSW) against exhaustive search, with real FAISS.

The seed corpus is small, so the tests lower the size from which a language in a segment gets
its own approximate index; everything else (training, files, memory-mapping, merging the
language parts with centred scores, deletions, appends) runs as it does on a large index.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from test_index_segments import QUESTIONS as SEGMENT_QUESTIONS
from test_index_segments import ranking, seed_vectors

from casesearch.index.search.searcher import Searcher
from casesearch.index.storage import build as build_module
from casesearch.index.storage import dense as dense_module
from casesearch.index.storage.build import build_index, index_dir
from casesearch.index.storage.centering import centre, language_centroids
from casesearch.index.storage.dense import ANN_LIST, DenseIndex, StoredPart, build_approximate
from casesearch.index.storage.manifest import IndexDamagedError, Manifest
from casesearch.ingest.store import load_store

#: The segment tests' questions and one more that no case answers well (many near ties).
QUESTIONS = [*SEGMENT_QUESTIONS, "what went wrong when residents were asked too late?"]


@pytest.fixture
def small_parts(monkeypatch) -> None:
    """Every language of every segment gets an approximate index, with several lists, and
    compact codes are scanned however few rows a part has."""
    monkeypatch.setattr(dense_module, "ANN_MIN_ROWS", 8)
    monkeypatch.setattr(dense_module, "IVF_MIN_PER_LIST", 4)
    monkeypatch.setattr(dense_module, "EXACT_ROWS", 0)


@pytest.fixture
def seed_cases(seed_data_dir: Path):
    store = load_store(seed_data_dir)
    assert store is not None
    return store.cases


def _assert_same_top_cases(approximate: Searcher, exhaustive: Searcher) -> None:
    """Same cases, same scores; two cases whose scores differ by float16 rounding may swap.

    The parts hold float16 codes of raw vectors, the exhaustive index float16 codes of
    centred ones: scores agree to about 1e-4, so only near ties can change places.
    """
    tol = 1e-3
    for mode in ("dense", "hybrid"):
        for got, want in zip(
            ranking(approximate, mode, QUESTIONS), ranking(exhaustive, mode, QUESTIONS), strict=True
        ):
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=tol)
            got_score, want_score = dict(got), dict(want)
            for case, score in got:
                if case in want_score:
                    assert abs(score - want_score[case]) <= tol, (mode, case)
                else:  # only a near tie at the cut may take another case's place
                    assert score <= want[-1][1] + tol, (mode, case)
            assert sum(case not in got_score for case, _ in want) <= 1, mode


@pytest.mark.parametrize("kind", ["ivf", "hnsw", "rabitq"])
def test_approximate_index_finds_the_top_cases_of_exhaustive_search(
    kind: str, small_parts, seed_cases, seed_data_dir: Path, tmp_path: Path, embedder
) -> None:
    data_dir = tmp_path / "data"
    report = build_index(
        seed_cases, data_dir, embedder, dense_kind=kind, precomputed=seed_vectors(seed_data_dir)
    )
    assert report.mode == "full" and report.embedded == 0
    manifest = Manifest.load(index_dir(data_dir))
    assert manifest.dense_kind == kind
    segment = index_dir(data_dir) / manifest.segments[0].name
    assert (segment / ANN_LIST).exists()
    searcher = Searcher.load(data_dir, embedder)  # the stored indexes, read from disk
    assert searcher.dense.approximate_rows == searcher.dense.size  # nothing left to the pool
    assert {p.lang_pos for p in searcher.dense.parts} == {0, 1}  # one part per language
    if kind == "ivf":
        assert all(faiss_ivf(p.index).nlist > 1 for p in searcher.dense.parts)
    _assert_same_top_cases(searcher, Searcher.load(seed_data_dir, embedder))


def faiss_ivf(index):
    import faiss

    return faiss.extract_index_ivf(index)


@pytest.mark.parametrize("kind", ["ivf", "rabitq"])
def test_appending_and_deleting_cases_with_an_approximate_index(
    kind: str, small_parts, seed_cases, seed_data_dir: Path, tmp_path: Path, embedder
) -> None:
    vectors = seed_vectors(seed_data_dir)
    data_dir = tmp_path / "data"
    build_index(seed_cases[:-30], data_dir, embedder, dense_kind=kind, precomputed=vectors)
    first = Manifest.load(index_dir(data_dir)).segments[0].name
    added = build_index(seed_cases, data_dir, embedder, dense_kind=kind, precomputed=vectors)
    assert added.mode == "append" and added.segments == 2 and added.embedded == 0

    cases = copy.deepcopy(seed_cases)
    removed = cases.pop(2)  # a case of the first segment: marked deleted, skipped by FAISS
    changed = cases[4]
    changed.title += " (revised)"
    report = build_index(cases, data_dir, embedder, dense_kind=kind)
    assert report.mode == "append" and report.embedded == len(changed.chunks)
    manifest = Manifest.load(index_dir(data_dir))
    assert manifest.segments[0].name == first and manifest.segments[0].deleted_cases
    searcher = Searcher.load(data_dir, embedder)
    assert searcher.dense.approximate_rows > 0
    assert searcher.case(removed.id) is None
    # The removed case's own words find nothing of it, in either search.
    own_words = removed.text[: removed.chunks[0].end][:300]
    for mode in ("dense", "hybrid", "bm25"):
        found = searcher.search(own_words, 20, mode=mode, highlight=False).results
        assert removed.id not in {r.case_id for r in found}
        assert changed.id in {c.id for c in searcher.cases}

    fresh = tmp_path / "fresh"
    build_index(cases, fresh, embedder, dense_kind="flat", precomputed=seed_vectors(data_dir))
    _assert_same_top_cases(searcher, Searcher.load(fresh, embedder))


def test_many_segments_fold_into_one_next_to_the_first(
    small_parts, seed_cases, seed_data_dir: Path, tmp_path: Path, embedder, monkeypatch
) -> None:
    monkeypatch.setattr(build_module, "MAX_SEGMENTS", 3)
    monkeypatch.setattr(build_module, "FOLD_SHARE", 0.5)
    vectors = seed_vectors(seed_data_dir)
    data_dir = tmp_path / "data"
    reports = [
        build_index(seed_cases[:end], data_dir, embedder, dense_kind="ivf", precomputed=vectors)
        for end in (70, 76, 82, 90)
    ]
    assert [r.mode for r in reports] == ["full", "append", "append", "append"]
    assert [r.segments for r in reports] == [1, 2, 3, 2]  # the last two folded with the new
    assert all(r.embedded == 0 for r in reports)
    folder = index_dir(data_dir)
    names = [s.name for s in Manifest.load(folder).segments]
    assert names[0] == "seg-000001"  # the first segment and its IVF files are kept
    fresh = tmp_path / "fresh"
    build_index(seed_cases, fresh, embedder, dense_kind="flat", precomputed=vectors)
    _assert_same_top_cases(Searcher.load(data_dir, embedder), Searcher.load(fresh, embedder))
    # Too much to fold (more than FOLD_SHARE of the first segment): a full build.
    monkeypatch.setattr(build_module, "FOLD_SHARE", 0.01)
    small = min(range(70), key=lambda i: len(seed_cases[i].chunks))
    without = [c for i, c in enumerate(seed_cases) if i != small]
    build_index(without, data_dir, embedder, dense_kind="ivf")  # marked deleted
    third = build_index(seed_cases, data_dir, embedder, dense_kind="ivf")  # back, appended
    assert third.mode == "append" and third.segments == 3 and third.embedded == 0
    merged = build_index(seed_cases, data_dir, embedder, dense_kind="ivf")
    assert merged.mode == "full" and merged.segments == 1


def test_a_damaged_approximate_index_is_named(
    small_parts, seed_cases, seed_data_dir: Path, tmp_path: Path, embedder
) -> None:
    data_dir = tmp_path / "data"
    vectors = seed_vectors(seed_data_dir)
    build_index(seed_cases, data_dir, embedder, dense_kind="ivf", precomputed=vectors)
    folder = index_dir(data_dir)
    segment = folder / Manifest.load(folder).segments[0].name
    (segment / "ann-0.faiss").write_bytes(b"not an index")
    with pytest.raises(IndexDamagedError, match="--rebuild") as info:
        Searcher.load(data_dir, embedder)
    assert "ann-0.faiss" in str(info.value)


# --------------------------------------------------------------------------- synthetic sets
def _clustered(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors around 200 random directions (topics), like passages of a corpus."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((200, dim)).astype(np.float32)
    x = centres[rng.integers(0, 200, n)] + 0.9 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _index_with_parts(vectors: np.ndarray, langs: list[str], kind: str) -> DenseIndex:
    """One segment whose every language is an approximate part, as a build writes it."""
    lang_arr = np.asarray(langs)
    parts = []
    for lang in sorted(set(langs)):
        rows = np.flatnonzero(lang_arr == lang)
        parts.append(StoredPart(lang, rows, build_approximate(vectors[rows], kind)))
    centroids = language_centroids(vectors, langs)
    live = np.arange(len(vectors))
    return DenseIndex.assemble(
        kind, vectors.copy(), langs, centroids, [(live, parts, len(vectors))]
    )


def _exact(vectors: np.ndarray, langs: list[str]) -> DenseIndex:
    centroids = language_centroids(vectors, langs)
    return DenseIndex.build(centre(vectors, langs, centroids), "flat32")


@pytest.mark.parametrize(("kind", "knob", "weak"), [("ivf", "nprobe", 1), ("rabitq", "rerank", 1)])
def test_recall_at_100_on_a_clustered_set(kind: str, knob: str, weak: int) -> None:
    dim = 64
    vectors = _clustered(12_000, dim, seed=1)
    langs = ["en"] * len(vectors)
    queries = _clustered(60, dim, seed=2)
    approximate, exact = _index_with_parts(vectors, langs, kind), _exact(vectors, langs)
    if kind == "ivf":
        assert approximate.nprobe < faiss_ivf(approximate.parts[0].index).nlist
    else:
        assert approximate.rerank * 100 < len(vectors)  # not every row is re-scored

    def recall() -> float:
        hits = [
            len(set(approximate.search(q, 100)[0]) & set(exact.search(q, 100)[0])) / 100
            for q in queries
        ]
        return float(np.mean(hits))

    default = recall()
    assert default >= 0.95  # measured: see the test's parameters in BENCHMARKS.md
    setattr(approximate, knob, weak)
    assert recall() < default  # the weakest setting loses: the test measures approximation


def test_a_large_language_is_scanned_in_parallel_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """RaBitQ codes of one language are split into parts; scanning them on several threads
    gives the single thread's result, and recall holds."""
    monkeypatch.setattr(dense_module, "RABITQ_PART_ROWS", 5_000)
    monkeypatch.setattr(dense_module, "ANN_MIN_ROWS", 1_000)
    vectors = _clustered(12_000, 64, seed=5)
    langs = ["en"] * len(vectors)
    parts = dense_module.build_segment_parts(vectors, langs, "rabitq")
    assert len(parts) == 3
    assert np.sort(np.concatenate([p.rows for p in parts])).tolist() == list(range(len(vectors)))
    live = np.arange(len(vectors))
    index = DenseIndex.assemble(
        "rabitq", vectors.copy(), langs, language_centroids(vectors, langs),
        [(live, parts, len(vectors))],
    )  # fmt: skip
    exact = _exact(vectors, langs)
    queries = _clustered(30, 64, seed=6)
    monkeypatch.setattr(dense_module, "SCAN_THREADS", 2)
    parallel = [index.search(q, 50) for q in queries]
    monkeypatch.setattr(dense_module, "SCAN_THREADS", 1)
    for q, (rows, scores) in zip(queries, parallel, strict=True):
        serial_rows, serial_scores = index.search(q, 50)
        assert rows.tolist() == serial_rows.tolist()
        np.testing.assert_allclose(scores, serial_scores)
    recall = np.mean(
        [len(set(r.tolist()) & set(exact.search(q, 50)[0].tolist())) / 50
         for q, (r, _) in zip(queries, parallel, strict=True)]
    )  # fmt: skip
    assert recall >= 0.95


def test_language_parts_rank_like_centred_exhaustive_search() -> None:
    """Parts over raw vectors, shifted by q·μ_lang, give the centred ranking across languages."""
    dim = 48
    rng = np.random.default_rng(3)
    vectors = _clustered(3_000, dim, seed=4)
    langs = [("da", "en", "es")[i] for i in rng.integers(0, 3, len(vectors))]
    offsets = {"da": 0.6, "en": -0.3, "es": 0.1}  # languages sit apart, as with e5
    shift = rng.standard_normal(dim).astype(np.float32)
    shift *= 3.0 / np.linalg.norm(shift)  # clusters have norm ~9: a clear, not dominant offset
    vectors += np.asarray([offsets[x] for x in langs], dtype=np.float32)[:, None] * shift
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    approximate = _index_with_parts(vectors, langs, "ivf")
    approximate.nprobe = 10_000  # every list: must then equal exhaustive search exactly
    exact = _exact(vectors, langs)
    allowed = np.flatnonzero(rng.random(len(vectors)) < 0.3).astype(np.int64)
    seen: set[str] = set()
    for q in _clustered(20, dim, seed=5):
        rows, scores = approximate.search(q, 50)
        want_rows, want_scores = exact.search(q, 50)
        np.testing.assert_allclose(scores, want_scores, atol=2e-3)
        assert len(set(rows) & set(want_rows)) >= 49  # float16 codes may swap a near tie
        seen |= {langs[r] for r in rows}
        rows, _ = approximate.search(q, 50, allowed)
        want_rows, _ = exact.search(q, 50, allowed)
        assert set(rows) <= set(allowed.tolist())
        assert len(set(rows) & set(want_rows)) >= 49
        np.testing.assert_allclose(
            approximate.score_rows(rows, q), exact.score_rows(rows, q), atol=2e-3
        )
    assert seen == {"da", "en", "es"}  # the results mix the parts of all languages
