"""The app's service layer: one model and one index per server process, shared by every visitor.

Loading the model takes seconds and the index holds all vectors in memory, so neither may be
loaded per rerun or per visitor. :class:`AppService` keeps both, updates the index through the
one update path (:func:`casesearch.index.update.update_index`) when files are added, notices
when the index on disk changed (another session's upload, a rebuild from the command line) so
that every session searches the newest index, and remembers recent answers.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path

from casesearch.core.config import DEFAULT_CORPUS, ModelSettings
from casesearch.core.progress import Progress
from casesearch.index.model.embedder import Embedder, load_embedder
from casesearch.index.search.response import SearchFilters, SearchResponse
from casesearch.index.search.searcher import Searcher, SearchSettings
from casesearch.index.storage.build import index_dir
from casesearch.index.storage.manifest import MANIFEST
from casesearch.index.update import UpdateReport, update_index

UPLOADS_DIRNAME = "uploads"

#: Extensions the ingest stage reads; the uploader offers exactly these.
UPLOAD_TYPES = ("txt", "md", "html", "htm", "pdf", "docx", "jsonl", "csv")

#: Threads for one query's model call. One thread answers a single short question in tens of
#: milliseconds; more threads make it seconds slower on a busy 2-core machine (the threads
#: wait for each other), and concurrent visitors run in parallel anyway.
QUERY_THREADS = 1


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


@dataclass
class BuildState:
    """What the running (or last) index update is doing; read by every waiting session."""

    running: bool = False
    phase: str = ""
    done: int = 0
    total: int = 0
    started: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class SearchRequest:
    """Everything that decides a result list: the cache key of an answer."""

    query: str
    k: int
    mode: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    settings: SearchSettings | None = None


class ReadOnlyError(PermissionError):
    """The app serves in read-only mode: nothing may be added or rebuilt."""


class AppService:
    """The process-wide model and index of one data directory.

    Thread-safe: Streamlit runs every session's script in its own thread. With ``read_only``
    nothing is ever written to the data directory (the pages hide what would write, and the
    service refuses it as well).
    """

    def __init__(
        self,
        data_dir: Path,
        model: ModelSettings | None = None,
        cache_size: int = 256,
        *,
        read_only: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.model = model or ModelSettings()
        self.read_only = read_only
        self.state = BuildState()
        self._lock = threading.RLock()
        self._build_lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._searcher: Searcher | None = None
        self._stamp: tuple[int, int] | None = None
        self._cache: OrderedDict[Hashable, SearchResponse] = OrderedDict()
        self._cache_size = cache_size
        self.version = 0

    # ----------------------------------------------------------------- loading
    def embedder(self) -> Embedder:
        """The model, loaded on first use and then kept for the life of the process."""
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder(
                    self.model.model,
                    self.data_dir,
                    allow_download=self.model.allow_download,
                    backend=self.model.backend,
                )
                _set_threads(QUERY_THREADS)
            return self._embedder

    def _manifest_stamp(self) -> tuple[int, int] | None:
        path = index_dir(self.data_dir) / MANIFEST
        try:
            stat = path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

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
    def search(self, request: SearchRequest) -> tuple[SearchResponse, float]:
        """Answer ``request`` without marking best sentences, with the elapsed seconds.

        Marking sentences takes longer than the search itself, so the page shows results
        first and marks them after (:meth:`mark_best_sentences`). Answers to repeated requests
        come from memory (0 seconds), marked if they were marked before.

        Raises:
            QueryError: for a question that cannot be searched (empty, unknown mode).
        """
        searcher = self.searcher()
        key = (self.version, request)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit, 0.0
        started = time.perf_counter()
        response = searcher.search(
            request.query,
            request.k,
            mode=request.mode,
            settings=request.settings,
            filters=request.filters,
            highlight=False,
        )
        elapsed = time.perf_counter() - started
        with self._lock:
            self._cache[key] = response
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return response, elapsed

    def similar(self, case_id: str, k: int, filters: SearchFilters | None = None) -> SearchResponse:
        """The cases closest to ``case_id`` ("more like this"), remembered like answers.

        Raises:
            QueryError: for a case that is not in the index.
        """
        searcher = self.searcher()
        key = (self.version, "similar", case_id, k, filters)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        response = searcher.similar_cases(case_id, k, filters=filters)
        with self._lock:
            self._cache[key] = response
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return response

    def mark_best_sentences(self, response: SearchResponse) -> float:
        """Mark the best sentence of every result in place; returns the seconds it took."""
        if response.marked:
            return 0.0
        started = time.perf_counter()
        self.searcher().mark_best_sentences(response)
        return time.perf_counter() - started

    # ----------------------------------------------------------------- updating
    def update(self, progress: Progress | None = None) -> UpdateReport:
        """Ingest the default corpus and the uploads, then update the index incrementally.

        Only one update runs at a time; a second caller waits for the first and then runs
        its own (its files may have arrived after the first one started reading).
        """

        if self.read_only:
            raise ReadOnlyError("This app is read-only: the index is updated by its operator.")

        def report(phase: str, done: int, total: int) -> None:
            self.state.phase, self.state.done, self.state.total = phase, done, total
            if progress is not None:
                progress(phase, done, total)

        def waiting(message: str) -> None:  # another process (the CLI) is updating
            report("wait", 0, 1)

        with self._build_lock:
            self.state = BuildState(running=True, started=time.time())
            try:
                report("model", 0, 1)
                embedder = self.embedder()
                result = update_index(
                    content_roots(self.data_dir),
                    self.data_dir,
                    embedder,
                    on_progress=report,
                    on_wait=waiting,
                )
                report("load", 0, 1)
                self.searcher()
            except Exception as exc:
                self.state.error = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                self.state.running = False
            report("done", 1, 1)
            return result

    def add_files(
        self, files: list[tuple[str, bytes]], progress: Progress | None = None
    ) -> tuple[list[str], UpdateReport]:
        """Save uploaded files under ``uploads/`` and update the index with them.

        A file with the name of an earlier upload replaces it (a new version of that file).
        """
        if self.read_only:
            raise ReadOnlyError("This app is read-only: files cannot be added.")
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


def _set_threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)
