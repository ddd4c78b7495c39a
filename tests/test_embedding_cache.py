"""The resumable embedding cache: finished batches survive an interrupted build (real model)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from casesearch.index.storage import embedding_cache
from casesearch.index.storage.build import build_index, chunk_hash
from casesearch.index.storage.embedding_cache import KEYS, VECTORS, EmbeddingCache, cache_dir
from casesearch.index.storage.engines import EmbeddedBatch, LocalEngine
from casesearch.index.storage.manifest import Manifest
from casesearch.index.storage.segments import load_live
from casesearch.ingest.model import chunk_text_for_embedding
from casesearch.ingest.pipeline import ingest_paths

DOCS = {
    "garden.txt": "Community gardens in Nordby\n\nResidents turned an empty lot into a garden.",
    "budget.txt": "Borgerbudget på biblioteket\n\nBorgerne stemte om 200.000 kroner til unge.",
    "bikes.txt": "Repair cafe for bicycles\n\nVolunteers help residents fix their bicycles.",
    "ferry.txt": "Ferry timetable\n\nIslanders redesigned the winter timetable in workshops.",
    "skole.txt": "Skolevej med børn\n\nBørnene tegnede selv en sikker vej til skolen.",
}


def _vectors(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_stored_batches_are_found_by_chunk_hash(tmp_path: Path) -> None:
    cache = EmbeddingCache.open(tmp_path, "model-a", 8)
    first, second = _vectors(3, 8, 1), _vectors(2, 8, 2)
    cache.add(["h1", "h2", "h3"], first)
    cache.add(["h4", "h5"], second)

    again = EmbeddingCache.open(tmp_path, "model-a", 8)  # a new process reads the parts
    found, vectors = again.lookup(["h5", "nope", "h1", "h1"])
    assert found.tolist() == [True, False, True, True]
    assert np.array_equal(vectors[0], second[1]) and np.array_equal(vectors[2], first[0])
    assert not vectors[1].any()
    assert len(again) == 5

    other_model = EmbeddingCache.open(tmp_path, "model-b", 8)
    assert not other_model.lookup(["h1"])[0].any()
    rebuild = EmbeddingCache.open(tmp_path, "model-a", 8, read=False)
    assert not rebuild.lookup(["h1"])[0].any()

    again.clear()
    assert not EmbeddingCache.open(tmp_path, "model-a", 8).lookup(["h1"])[0].any()
    assert not cache_dir(tmp_path, "model-a").exists()


def test_incomplete_or_foreign_parts_are_ignored(tmp_path: Path) -> None:
    cache = EmbeddingCache.open(tmp_path, "m", 4)
    cache.add(["kept"], _vectors(1, 4, 3))
    folder = cache_dir(tmp_path, "m")
    # A part killed between its two files has vectors but no keys: never read.
    np.save(folder / f"00-half{VECTORS}", _vectors(1, 4, 4))
    # A part of another dimension (a hand-copied folder) is skipped with a warning.
    np.save(folder / f"00-wide{VECTORS}", _vectors(1, 6, 5))
    np.save(folder / f"00-wide{KEYS}", np.asarray(["wide"], dtype="S"))
    (folder / f"00-bad{KEYS}").write_bytes(b"not numpy")
    found, _ = EmbeddingCache.open(tmp_path, "m", 4).lookup(["kept", "wide"])
    assert found.tolist() == [True, False]


def test_many_small_batches_are_merged(tmp_path: Path) -> None:
    cache = EmbeddingCache.open(tmp_path, "m", 4)
    vectors = _vectors(embedding_cache.MAX_SMALL_PARTS + 5, 4, 6)
    for i, v in enumerate(vectors):
        cache.add([f"h{i}"], v[None, :])
    parts = list(cache_dir(tmp_path, "m").glob(f"*{KEYS}"))
    assert len(parts) < 10  # merged, not one file pair per batch
    found, got = EmbeddingCache.open(tmp_path, "m", 4).lookup(
        [f"h{i}" for i in range(len(vectors))]
    )
    assert found.all() and np.array_equal(got, vectors)


class _InterruptedEngine:
    """The local engine, stopped by Ctrl-C after ``batches`` batches (as a user does)."""

    name = "local"

    def __init__(self, engine: LocalEngine, batches: int) -> None:
        self.engine, self.batches = engine, batches

    def embed_documents(self, texts: Sequence[str]) -> Iterator[EmbeddedBatch]:
        for n, batch in enumerate(self.engine.embed_documents(texts)):
            if n == self.batches:
                raise KeyboardInterrupt
            yield batch

    def describe(self) -> str:
        return "interrupted local"

    def close(self) -> None:
        return None


def test_interrupted_build_resumes_from_finished_batches(tmp_path: Path, embedder) -> None:
    corpus = tmp_path / "cases"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    data_dir = tmp_path / "data"
    store = ingest_paths([corpus], data_dir).store
    assert store is not None
    chunks = sum(len(c.chunks) for c in store.cases)
    assert chunks == len(DOCS)

    engine = _InterruptedEngine(LocalEngine(embedder, step=1), batches=2)
    with pytest.raises(KeyboardInterrupt):
        build_index(store.cases, data_dir, embedder, engine=engine)
    assert not (data_dir / "index").exists()  # nothing committed
    assert len(EmbeddingCache.open(data_dir, embedder.model_id, embedder.dim)) == 2

    report = build_index(store.cases, data_dir, embedder)
    assert report.resumed == 2
    assert report.embedded == chunks - 2
    assert report.reused == 2
    assert not cache_dir(data_dir, embedder.model_id).exists()  # committed: cache emptied

    live = load_live(data_dir / "index", Manifest.load(data_dir / "index").segments)
    texts = [chunk_text_for_embedding(c, ch) for c in store.cases for ch in c.chunks]
    assert live.hashes == [chunk_hash(embedder.model_id, t) for t in texts]
    fresh = embedder.encode_documents(texts)
    assert float((live.vectors * fresh).sum(axis=1).min()) >= 0.9999
