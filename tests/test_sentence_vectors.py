"""Stored sentence vectors: prepared once, then best sentences are marked without the model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import casesearch.index.storage.sentence_vectors as sv
from casesearch.index.search.highlight import best_sentences
from casesearch.index.search.searcher import Searcher
from casesearch.index.storage.sentence_vectors import (
    SentenceVectors,
    prepare_for_index,
    store_dir,
    unique_sentences,
)

QUESTIONS = [
    "how to involve unemployed residents in waste work",
    "klimaborgerting med tilfældigt udvalgte borgere",
    "co-creation pilots in Frederiksberg",
]


@pytest.fixture
def data_dir(seed_data_dir: Path, tmp_path: Path) -> Path:
    """A copy of the seed index without any stored sentence vectors."""
    target = tmp_path / "data"
    shutil.copytree(seed_data_dir / "index", target / "index")
    return target


def test_prepared_sentences_mark_without_embedding(data_dir: Path, embedder) -> None:
    report = prepare_for_index(data_dir, embedder)
    assert report.sentences > 100 and report.embedded == report.sentences
    again = prepare_for_index(data_dir, embedder)
    assert again.sentences == 0 and again.embedded == 0  # every segment is marked prepared

    searcher = Searcher.load(data_dir, embedder)
    for question in QUESTIONS:
        response = searcher.search(question, 5)
        assert response.highlight_counts["sentences"] > 0
        assert response.highlight_counts["sentences_embedded"] == 0
        # The stored (float16) vectors mark the same sentences as embedding them afresh.
        qvec = embedder.encode_queries([response.query])[0]
        fresh = best_sentences(embedder, qvec, [r.excerpt for r in response.results])
        assert [r.highlight for r in response.results] == fresh


def test_after_an_append_only_the_new_segment_is_prepared(
    seed_data_dir: Path, tmp_path: Path, embedder
) -> None:
    from casesearch.index.storage.build import build_index
    from casesearch.ingest.store import load_store

    store = load_store(seed_data_dir)
    assert store is not None
    data_dir = tmp_path / "data"
    cases = store.cases
    build_index(cases[:-3], data_dir, embedder)
    first = prepare_for_index(data_dir, embedder)
    added = build_index(cases, data_dir, embedder)
    assert added.mode == "append"
    second = prepare_for_index(data_dir, embedder)
    new_excerpts = [c.text[k.start : k.end] for c in cases[-3:] for k in c.chunks]
    assert 0 < second.sentences <= len(unique_sentences(new_excerpts))
    assert second.sentences < first.sentences
    searcher = Searcher.load(data_dir, embedder)
    response = searcher.search(cases[-1].title, 3)
    assert response.results[0].case_id == cases[-1].id
    assert response.highlight_counts["sentences_embedded"] == 0


def test_sentences_met_at_search_time_are_stored(data_dir: Path, embedder) -> None:
    searcher = Searcher.load(data_dir, embedder)
    first = searcher.search(QUESTIONS[0], 5)
    assert first.highlight_counts["sentences_embedded"] > 0
    second = searcher.search(QUESTIONS[0], 5)
    assert second.highlight_counts["sentences_embedded"] == 0
    assert [r.highlight for r in first.results] == [r.highlight for r in second.results]
    # ... and on disk, for the next process.
    reopened = Searcher.load(data_dir, embedder)
    assert reopened.search(QUESTIONS[0], 5).highlight_counts["sentences_embedded"] == 0


def test_many_parts_are_merged_and_still_found(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sv, "MAX_PARTS", 3)
    store = SentenceVectors(tmp_path / "store", "model-x", 4)
    rng = np.random.default_rng(0)
    texts = [f"sentence {i}" for i in range(10)]
    vectors = rng.standard_normal((10, 4)).astype(np.float32)
    for i in range(5):  # five parts, the last two repeating earlier keys
        rows = [2 * i % 10, (2 * i + 1) % 10]
        store.add(store.keys([texts[r] for r in rows]), vectors[rows])
    assert len(list((tmp_path / "store").glob("*.keys.npy"))) == 5
    reopened = SentenceVectors(tmp_path / "store", "model-x", 4)
    assert len(list((tmp_path / "store").glob("*.keys.npy"))) == 1
    found, got = reopened.lookup(reopened.keys(texts))
    assert found.all()
    np.testing.assert_allclose(got, vectors, atol=1e-2)  # stored as float16


def test_incomplete_or_foreign_parts_are_ignored(tmp_path: Path) -> None:
    store = SentenceVectors(tmp_path / "store", "model-x", 4)
    keys = store.keys(["a", "b"])
    store.add(keys, np.ones((2, 4), dtype=np.float32))
    folder = tmp_path / "store"
    (folder / "zz-half.vectors.npy").write_bytes(b"written before a crash")  # no keys file
    (folder / "zz-bad.vectors.npy").write_bytes(b"garbage")
    (folder / "zz-bad.keys.npy").write_bytes(b"garbage")
    reopened = SentenceVectors(folder, "model-x", 4)
    found, _ = reopened.lookup(keys)
    assert found.all() and len(reopened) == 2
    other_dim = SentenceVectors(folder, "model-x", 8)
    assert len(other_dim) == 0


def test_each_model_has_its_own_store(tmp_path: Path) -> None:
    assert store_dir(tmp_path, "model-a") != store_dir(tmp_path, "model-b")
