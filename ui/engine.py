"""One model and one index per server process, shared by every browser session.

Loading the model takes seconds and the index holds all vectors in memory, so neither may be
loaded per rerun or per visitor. :class:`IndexHolder` keeps both, rebuilds the index when files
are added, and notices when the index on disk changed (another session's upload, a rebuild from
the command line) so that every session searches the newest index with the same model.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from casesearch.core.config import DEFAULT_CORPUS, default_model
from casesearch.index.model.embedder import Embedder, load_embedder
from casesearch.index.search.searcher import Searcher, SearchFilters, SearchResponse
from casesearch.index.storage.build import index_dir
from casesearch.index.storage.manifest import MANIFEST

UPLOADS_DIRNAME = "uploads"

#: Extensions the ingest stage reads; the uploader offers exactly these.
UPLOAD_TYPES = ("txt", "md", "html", "htm", "pdf", "docx", "jsonl", "csv")

#: Threads for one query's model call. One thread answers a single short question in tens of
#: milliseconds; more threads make it seconds slower on a busy 2-core machine (the threads
#: wait for each other), and concurrent visitors run in parallel anyway.
QUERY_THREADS = 1

#: ``progress(phase, done, total)``: what a long operation is doing, for a progress bar.
Progress = Callable[[str, int, int], None]


def uploads_dir(data_dir: Path) -> Path:
    """Where files added through the app are kept (they are part of every later ingest)."""
    return data_dir / UPLOADS_DIRNAME


def content_roots(data_dir: Path) -> list[Path]:
    """Every folder the app ingests, always together.

    Ingest removes the cases of files that vanished from the roots it is given, so the
    default corpus and the uploads are always passed together: ingesting only one of them
    would not drop the other, but keeping one list avoids any doubt.
    """
    folder = uploads_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return [DEFAULT_CORPUS, folder]


def safe_upload_name(name: str) -> str:
    """A file name that cannot leave the uploads folder or hide as a dot-file."""
    base = Path(str(name).replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^\w\-. ]+", "_", stem, flags=re.UNICODE).strip(" ._") or "upload"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext).lower()
    return f"{stem[:120]}.{ext}" if ext else stem[:120]


class _ProgressEmbedder(Embedder):
    """The shared model, reporting how many passages are embedded so far."""

    def __init__(self, base: Embedder, report: Progress, step: int = 64) -> None:
        super().__init__(base.model, base.info)
        self._report = report
        self._step = step

    def encode_documents(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        total = len(texts)
        self._report("embed", 0, total)
        parts = []
        for start in range(0, total, self._step):
            batch = texts[start : start + self._step]
            parts.append(super().encode_documents(batch, batch_size=batch_size))
            self._report("embed", min(total, start + len(batch)), total)
        if not parts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(parts)


@dataclass
class BuildState:
    """What the running (or last) index update is doing; read by every waiting session."""

    running: bool = False
    phase: str = ""
    done: int = 0
    total: int = 0
    started: float = 0.0
    error: str | None = None


@dataclass
class UpdateResult:
    """Outcome of ingesting and indexing, in the terms a user needs."""

    cases: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    skipped: list[dict[str, str]] = field(default_factory=list)
    ingest: dict[str, object] = field(default_factory=dict)


class IndexHolder:
    """The process-wide model and index of one data directory.

    Thread-safe: Streamlit runs every session's script in its own thread.
    """

    def __init__(self, data_dir: Path, model: str | None = None, cache_size: int = 256) -> None:
        self.data_dir = data_dir
        self.model = model
        self.state = BuildState()
        self._lock = threading.RLock()
        self._build_lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._searcher: Searcher | None = None
        self._stamp: tuple[int, str] | None = None
        self._cache: OrderedDict[tuple[object, ...], SearchResponse] = OrderedDict()
        self._cache_size = cache_size
        self.version = 0

    # ----------------------------------------------------------------- loading
    def embedder(self) -> Embedder:
        """The model, loaded on first use and then kept for the life of the process."""
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.model, self.data_dir)
                _set_threads(QUERY_THREADS)
            return self._embedder

    def _manifest_stamp(self) -> tuple[int, str] | None:
        path = index_dir(self.data_dir) / MANIFEST
        try:
            stat = path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, str(stat.st_size))

    def index_exists(self) -> bool:
        """Whether a built index is on disk (or already loaded)."""
        return self._searcher is not None or self._manifest_stamp() is not None

    def searcher(self) -> Searcher:
        """The searcher of the newest index on disk, reloaded only when the index changed.

        Raises:
            IndexMissingError, IndexMismatchError: see :meth:`Searcher.load`.
        """
        stamp = self._manifest_stamp()
        with self._lock:
            # A missing manifest mid-swap (another process building) keeps the loaded index.
            if self._searcher is not None and (stamp is None or stamp == self._stamp):
                return self._searcher
            searcher = Searcher.load(self.data_dir, self.embedder())
            self._searcher, self._stamp = searcher, stamp
            self.version += 1
            self._cache.clear()
            return searcher

    # ----------------------------------------------------------------- search
    def search(
        self, query: str, k: int, mode: str, filters: SearchFilters
    ) -> tuple[SearchResponse, float]:
        """Search without marking best sentences (see :meth:`highlight`), with elapsed seconds.

        Marking sentences embeds every sentence shown and takes longer than the search
        itself, so the page shows results first and marks them after. Answers to repeated
        questions come from memory, marked if they were marked before.

        Raises:
            QueryError: for a question that cannot be searched (empty, unknown mode).
        """
        searcher = self.searcher()
        key = (
            self.version,
            " ".join(query.split()),
            k,
            mode,
            filters.lang,
            tuple(filters.collections or ()),
            tuple(sorted((filters.fields or {}).items())),
        )
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit, 0.0
        started = time.perf_counter()
        response = searcher.search(query, k, mode=mode, filters=filters, highlight=False)
        elapsed = time.perf_counter() - started
        with self._lock:
            self._cache[key] = response
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return response, elapsed

    def highlight(self, response: SearchResponse) -> float:
        """Mark the best sentence of every result in place; returns the seconds it took."""
        from casesearch.index.search.highlight import best_sentences

        todo = [r for r in response.results if r.highlight is None]
        if not todo or getattr(response, "_marked", False):
            return 0.0
        started = time.perf_counter()
        embedder = self.embedder()
        qvec = response.query_vector
        if qvec is None:  # a BM25-only search did not embed the question
            qvec = embedder.encode_queries([response.query])[0]
        store = self.searcher().sentences
        spans = best_sentences(embedder, qvec, [r.excerpt for r in todo], store)
        for result, span in zip(todo, spans, strict=True):
            result.highlight = span
        response._marked = True  # type: ignore[attr-defined]
        return time.perf_counter() - started

    # ----------------------------------------------------------------- updating
    def update(self, progress: Progress | None = None) -> UpdateResult:
        """Ingest the default corpus and the uploads, then update the index incrementally.

        Only one update runs at a time; a second caller waits for the first and then runs
        its own (its files may have arrived after the first one started reading).
        """
        from casesearch.index.storage.build import build_index
        from casesearch.index.storage.sentence_vectors import prepare_for_index
        from casesearch.ingest.pipeline import ingest_paths
        from casesearch.ingest.store import load_store

        def report(phase: str, done: int, total: int) -> None:
            self.state.phase, self.state.done, self.state.total = phase, done, total
            if progress is not None:
                progress(phase, done, total)

        with self._build_lock:
            started = time.perf_counter()
            self.state = BuildState(running=True, started=time.time())
            try:
                report("model", 0, 1)
                embedder = self.embedder()
                report("ingest", 0, 1)
                ingested = ingest_paths(content_roots(self.data_dir), self.data_dir)
                info = ingested.to_dict()
                store = load_store(self.data_dir)
                if store is None or not store.cases:
                    raise RuntimeError("No case could be read from the corpus or the uploads.")
                report("embed", 0, 1)
                built = build_index(store.cases, self.data_dir, _ProgressEmbedder(embedder, report))
                report("load", 0, 1)
                searcher = self.searcher()
                report("sentences", 0, 1)  # new excerpts' sentences: marked at once later
                prepare_for_index(self.data_dir, embedder, store=searcher.sentences)
            except Exception as exc:
                self.state.error = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                self.state.running = False
            report("done", 1, 1)
            return UpdateResult(
                cases=built.cases,
                chunks=built.chunks,
                embedded=built.embedded,
                seconds=time.perf_counter() - started,
                skipped=list(info.get("skipped") or []),  # type: ignore[arg-type]
                ingest=info,
            )

    def add_files(
        self, files: list[tuple[str, bytes]], progress: Progress | None = None
    ) -> tuple[list[str], UpdateResult]:
        """Save uploaded files under ``uploads/`` and update the index with them.

        A file with the name of an earlier upload replaces it (a new version of that file).
        """
        folder = uploads_dir(self.data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for name, data in files:
            target = folder / safe_upload_name(name)
            tmp = target.with_name(f".{target.name}.part")
            tmp.write_bytes(data)
            tmp.replace(target)
            saved.append(target.name)
        return saved, self.update(progress)


#: Threads while embedding many passages for the index, where they do pay off.
BUILD_THREADS = max(1, min(os.cpu_count() or 1, 4))


def _set_threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)


def model_setting() -> str | None:
    """The configured model, or None for the bundled default."""
    name = default_model()
    from casesearch.core.config import DEFAULT_MODEL

    return None if name == DEFAULT_MODEL else name
