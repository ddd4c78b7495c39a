"""Bring a data directory's index up to date with files: the one update path.

"Ingest these paths, then update the index, then prepare sentence vectors" is what the
command line (``casesearch index``), the app (first start, uploads), the evaluation (an index
of the bundled corpus, chunk-size tuning) and the tests all need, so it is written once, here.
Ingest hands its store straight to the build; nothing is read back from disk in between.
Embedding (chunks, then sentences) runs on the engine the options name: this process, or a Ray
cluster (:mod:`casesearch.index.storage.engines`); the result is the same index either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from casesearch.core.lock import writer_lock
from casesearch.core.progress import Progress, no_progress
from casesearch.index.model.embedder import Embedder
from casesearch.index.storage.build import BuildReport, build_index
from casesearch.index.storage.engines import EmbeddingEngine, EngineOptions, open_engine
from casesearch.index.storage.sentence_vectors import (
    PrepareReport,
    SentenceVectors,
    prepare_for_index,
)
from casesearch.ingest.options import IngestOptions
from casesearch.ingest.pipeline import IngestReport, ingest_paths


class NothingToIndexError(ValueError):
    """No case could be read from the given paths (the message names them; ``ingest``
    holds the ingest report, whose ``skipped`` list says why for each file)."""

    def __init__(self, message: str, ingest: IngestReport) -> None:
        super().__init__(message)
        self.ingest = ingest


@dataclass(frozen=True)
class UpdateOptions:
    """How files become an index.

    Attributes:
        ingest: how files become cases and chunks.
        dense_kind: ``auto``, ``flat``, ``flat32``, ``ivf`` or ``hnsw`` (see
            :mod:`..storage.dense`).
        rebuild: embed and analyse every chunk again, ignoring what is cached.
        sentences: prepare the vectors of every excerpt's sentences after the build, so
            results mark their best sentence at once.
        batch_size: texts per model call while embedding chunks.
        engine: where chunks and sentences are embedded (``local`` by default, or ``ray``).
    """

    ingest: IngestOptions = field(default_factory=IngestOptions)
    dense_kind: str = "auto"
    rebuild: bool = False
    sentences: bool = True
    batch_size: int = 32
    engine: EngineOptions = field(default_factory=EngineOptions)


@dataclass
class UpdateReport:
    """What one update did, stage by stage."""

    ingest: IngestReport
    build: BuildReport
    sentences: PrepareReport | None = None
    seconds: float = 0.0

    @property
    def skipped(self) -> list[dict[str, str]]:
        """Files that gave no case, with the reason (never dropped silently)."""
        return self.ingest.skipped


def update_index(
    paths: Sequence[Path],
    data_dir: Path,
    embedder: Embedder,
    *,
    options: UpdateOptions | None = None,
    on_progress: Progress | None = None,
    sentence_store: SentenceVectors | None = None,
    engine: EmbeddingEngine | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> UpdateReport:
    """Ingest ``paths`` into ``data_dir``'s store and bring its index up to date.

    Incremental throughout: unchanged files are not re-read, unchanged cases not re-indexed,
    cached chunk vectors and stored sentence vectors not recomputed. Files under a given
    folder that vanished lose their cases.

    Args:
        paths: files and folders to ingest (folders recursively).
        data_dir: the data directory.
        embedder: the loaded model.
        options: see :class:`UpdateOptions`.
        on_progress: told ``(phase, done, total)`` for phases ``ingest``, ``embed``, ``save``,
            ``sentences`` and finally ``done``.
        sentence_store: the sentence-vector store a loaded searcher serves from, so it sees
            the new vectors at once (default: opened here).
        engine: an engine the caller opened (and closes); default: one opened from
            ``options.engine`` for this update and closed after it.
        on_wait: told, in words, when another process is updating the data directory and
            this update waits for it (see :mod:`casesearch.core.lock`).

    Raises:
        NothingToIndexError: no case could be read from ``paths`` or earlier runs.
        EngineUnavailableError: the engine cannot run (Ray missing, cluster unreachable).
    """
    with writer_lock(data_dir, purpose="an index update", on_wait=on_wait):
        return _update(paths, data_dir, embedder, options or UpdateOptions(),
                       on_progress or no_progress, sentence_store, engine)  # fmt: skip


def _update(
    paths: Sequence[Path],
    data_dir: Path,
    embedder: Embedder,
    options: UpdateOptions,
    report_progress: Progress,
    sentence_store: SentenceVectors | None,
    engine: EmbeddingEngine | None,
) -> UpdateReport:
    started = time.perf_counter()
    own_engine = engine is None  # opened before ingest, so a missing engine fails at once
    if engine is None:
        engine = open_engine(options.engine, embedder, data_dir, batch_size=options.batch_size)
    try:
        ingested = ingest_paths(
            list(paths), data_dir, options=options.ingest, on_progress=report_progress
        )
        store = ingested.store
        if store is None or not store.cases:
            raise NothingToIndexError(
                "Nothing to index: no case could be read from " + ", ".join(map(str, paths)),
                ingested,
            )
        built = build_index(
            store.cases,
            data_dir,
            embedder,
            dense_kind=options.dense_kind,
            rebuild=options.rebuild,
            batch_size=options.batch_size,
            on_progress=report_progress,
            engine=engine,
        )
        sentences = None
        if options.sentences:
            sentences = prepare_for_index(
                data_dir, embedder, on_progress=report_progress, store=sentence_store,
                engine=engine,
            )  # fmt: skip
    finally:
        if own_engine:
            engine.close()
    report_progress("done", 1, 1)
    return UpdateReport(ingested, built, sentences, time.perf_counter() - started)
