"""Stored sentence vectors, so marking the best sentence of each result costs a dot product.

Marking compares the question with every sentence of the excerpts shown, by embedding
similarity (so it works across languages). Embedding the ~60 sentences of ten excerpts takes
about 2 s on a laptop CPU, a hundred times the search itself, so sentence vectors are kept
once computed: ``casesearch index`` prepares them for every excerpt after the new index is
live (interruptible; the next run resumes), and a sentence met at search time that is not
stored yet is embedded then and stored.

Layout: ``<data_dir>/sentence-vectors/<model key>/`` holds parts, each a pair
``<part>.vectors.npy`` (float16) and ``<part>.keys.npy`` (uint64: the first 8 bytes of
SHA-256 of model id and sentence). The keys file is written last, so a part without one is
incomplete and ignored. Vectors are memory-mapped: only the rows used are read.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from casesearch.core.atomic import atomic_write_bytes
from casesearch.core.lock import writer_lock
from casesearch.core.progress import Progress, no_progress
from casesearch.index.model.embedder import Embedder
from casesearch.index.storage.engines import EmbeddingEngine, LocalEngine

log = logging.getLogger(__name__)

DIRNAME = "sentence-vectors"
KEYS = ".keys.npy"
#: Fingerprints of the index segments whose sentences are all stored.
PREPARED = "prepared-segments.json"
VECTORS = ".vectors.npy"
#: Parts are merged into one when a store has more than this many (each search that meets
#: new sentences adds a small part).
MAX_PARTS = 64
#: Sentences per model call of the local engine while preparing.
SENTENCE_STEP = 1024


def store_dir(data_dir: Path, model_id: str) -> Path:
    return Path(data_dir) / DIRNAME / hashlib.sha256(model_id.encode()).hexdigest()[:16]


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


class SentenceVectors:
    """The sentence vectors stored for one model in a data directory."""

    def __init__(self, folder: Path, model_id: str, dim: int) -> None:
        self.folder = folder
        self.model_id = model_id
        self.dim = dim
        self._lock = threading.Lock()
        self._parts: list[np.ndarray] = []
        self._keys = np.zeros(0, dtype=np.uint64)
        self._where = np.zeros(0, dtype=np.int64)  # part << 32 | row, aligned with _keys
        self._recent: dict[int, np.ndarray] = {}  # stored by this process since loading
        self.writable = True
        self.reload()

    @classmethod
    def open(cls, data_dir: Path, model_id: str, dim: int) -> SentenceVectors:
        return cls(store_dir(data_dir, model_id), model_id, dim)

    # ------------------------------------------------------------------ reading
    def reload(self) -> None:
        """Read the list of complete parts (merging them first when there are many)."""
        names = self._part_names()
        if len(names) > MAX_PARTS:
            self._merge(names)
            names = self._part_names()
        parts, keys, where = [], [], []
        for name in names:
            try:
                k = np.load(self.folder / f"{name}{KEYS}")
                v = np.load(self.folder / f"{name}{VECTORS}", mmap_mode="r")
            except (OSError, ValueError) as exc:
                log.warning("sentence vectors %s unreadable, ignored: %s", name, exc)
                continue
            if k.dtype != np.uint64 or v.shape != (len(k), self.dim):
                log.warning("sentence vectors %s do not match this model, ignored", name)
                continue
            parts.append(v)
            keys.append(k)
            where.append((np.int64(len(parts) - 1) << 32) | np.arange(len(k), dtype=np.int64))
        all_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)
        all_where = np.concatenate(where) if where else np.zeros(0, dtype=np.int64)
        order = np.argsort(all_keys, kind="stable")
        with self._lock:
            self._parts, self._keys, self._where = parts, all_keys[order], all_where[order]
            self._recent = {}

    def _part_names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name[: -len(KEYS)] for p in self.folder.glob(f"*{KEYS}"))

    def __len__(self) -> int:
        return len(self._keys) + len(self._recent)

    def key(self, sentence: str) -> int:
        digest = hashlib.sha256(f"{self.model_id}\x00{sentence}".encode()).digest()
        return int.from_bytes(digest[:8], "little")

    def keys(self, sentences: Iterable[str]) -> np.ndarray:
        return np.fromiter((self.key(s) for s in sentences), dtype=np.uint64)

    def _find(self, keys: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, dict]:
        """One consistent view: position in the sorted table of every key (-1: absent), the
        parts and positions they point into, and the vectors stored since loading."""
        with self._lock:
            table, where, parts, recent = self._keys, self._where, self._parts, self._recent
        pos = np.full(len(keys), -1, dtype=np.int64)
        if len(table):
            at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
            pos = np.where(table[at] == keys, at, -1)
        return pos, parts, where, recent

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Which of ``keys`` are stored (vectorised: for checking a whole corpus)."""
        pos, _, _, recent = self._find(keys)
        found = pos >= 0
        if recent:
            found |= np.fromiter((int(k) in recent for k in keys.tolist()), bool, len(keys))
        return found

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(found, vectors)``: which keys are stored, and their vectors (float32, zero rows
        where not found)."""
        pos, parts, where, recent = self._find(keys)
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        found = pos >= 0
        for i in np.flatnonzero(found).tolist():
            w = int(where[pos[i]])
            out[i] = parts[w >> 32][w & 0xFFFFFFFF]
        if recent:
            for i in np.flatnonzero(~found).tolist():
                vec = recent.get(int(keys[i]))
                if vec is not None:
                    out[i], found[i] = vec, True
        return found, out

    def prepared_segments(self) -> set[str]:
        try:
            return set(json.loads((self.folder / PREPARED).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return set()

    def mark_prepared(self, fingerprints: Iterable[str]) -> None:
        done = sorted(self.prepared_segments() | set(fingerprints))
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.folder / PREPARED, json.dumps(done).encode())

    # ------------------------------------------------------------------ writing
    def add(self, keys: np.ndarray, vectors: np.ndarray, *, remember: bool = True) -> None:
        """Store vectors as a new part; ``remember`` also serves them from memory at once."""
        if len(keys) == 0:
            return
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys for {len(vectors)} vectors")
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.folder / f"{name}{VECTORS}", _npy_bytes(vectors.astype(np.float16)))
        atomic_write_bytes(self.folder / f"{name}{KEYS}", _npy_bytes(keys.astype(np.uint64)))
        if remember:
            with self._lock:
                recent = dict(self._recent)
                for k, v in zip(keys.tolist(), vectors.astype(np.float16), strict=True):
                    recent[int(k)] = v
                self._recent = recent

    def _merge(self, names: list[str]) -> None:
        """Rewrite many small parts as one (the old ones are removed after it is complete)."""
        keys, vectors = [], []
        for name in names:
            try:
                keys.append(np.load(self.folder / f"{name}{KEYS}"))
                vectors.append(np.load(self.folder / f"{name}{VECTORS}"))
            except (OSError, ValueError):
                continue
        if not keys:
            return
        all_keys = np.concatenate(keys)
        _, first = np.unique(all_keys, return_index=True)
        try:
            self.add(all_keys[first], np.concatenate(vectors)[first], remember=False)
        except OSError as exc:
            log.warning("could not merge sentence vectors in %s: %s", self.folder, exc)
            return
        for name in names:
            for suffix in (KEYS, VECTORS):
                (self.folder / f"{name}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------- preparation
@dataclass
class PrepareReport:
    """What preparing sentence vectors did; printed by ``casesearch index``."""

    sentences: int = 0
    stored_before: int = 0
    embedded: int = 0
    seconds: float = 0.0
    interrupted: bool = False


def unique_sentences(excerpts: Iterable[str]) -> list[str]:
    """The distinct sentences of the excerpts, split as highlighting splits them."""
    from casesearch.ingest.sentences import sentence_spans

    seen: dict[str, None] = {}
    for text in excerpts:
        for start, end in sentence_spans(text):
            seen.setdefault(text[start:end], None)
    return list(seen)


def prepare(
    store: SentenceVectors,
    excerpts: Iterable[str],
    engine: EmbeddingEngine,
    *,
    part_size: int = 1024,
    on_progress: Progress | None = None,
) -> PrepareReport:
    """Embed (with ``engine``) and store every sentence of ``excerpts`` not stored yet.

    Finished batches are stored in parts of about ``part_size`` sentences, so an
    interruption (Ctrl-C) keeps what was done; the report says whether it was interrupted.
    """
    started = time.perf_counter()
    report_progress = on_progress or no_progress
    sentences = unique_sentences(excerpts)
    keys = store.keys(sentences)
    found = store.contains(keys)
    todo = np.flatnonzero(~found)
    report = PrepareReport(sentences=len(sentences), stored_before=int(found.sum()))
    report_progress("sentences", 0, len(todo))
    pending_rows: list[np.ndarray] = []
    pending_vectors: list[np.ndarray] = []

    def flush() -> None:
        if pending_rows:
            rows = np.concatenate(pending_rows)
            store.add(keys[rows], np.concatenate(pending_vectors), remember=False)
            report.embedded += len(rows)
            pending_rows.clear()
            pending_vectors.clear()

    try:
        try:
            waiting = 0
            for batch in engine.embed_documents([sentences[i] for i in todo.tolist()]):
                pending_rows.append(todo[batch.rows])
                pending_vectors.append(batch.vectors)
                waiting += len(batch.rows)
                if waiting >= part_size:
                    flush()
                    waiting = 0
                report_progress("sentences", report.embedded + waiting, len(todo))
        finally:
            flush()  # batches that finished are kept, even when interrupted
    except KeyboardInterrupt:
        report.interrupted = True
    report.seconds = time.perf_counter() - started
    store.reload()
    return report


def prepare_for_index(
    data_dir: Path,
    embedder: Embedder,
    *,
    on_progress: Progress | None = None,
    store: SentenceVectors | None = None,
    engine: EmbeddingEngine | None = None,
) -> PrepareReport:
    """Prepare the sentence vectors of every excerpt of the data directory's index.

    Segments already prepared (by content fingerprint) are skipped, so after adding one
    document only that document's sentences are looked at. ``store``: the one a loaded
    searcher uses, so it serves the new vectors at once. ``engine``: where sentences are
    embedded (default: ``embedder`` in this process).
    """
    with writer_lock(data_dir, purpose="preparing sentence vectors"):
        return _prepare_for_index(data_dir, embedder, on_progress, store, engine)


def _prepare_for_index(
    data_dir: Path,
    embedder: Embedder,
    on_progress: Progress | None,
    store: SentenceVectors | None,
    engine: EmbeddingEngine | None,
) -> PrepareReport:
    from casesearch.index.storage.build import index_dir
    from casesearch.index.storage.manifest import Manifest
    from casesearch.index.storage.segments import live_excerpts

    folder = index_dir(Path(data_dir))
    manifest = Manifest.load(folder)
    if store is None:
        store = SentenceVectors.open(data_dir, manifest.model_id, manifest.dim)
    done = store.prepared_segments()
    todo = [s for s in manifest.segments if s.fingerprint not in done]
    report = prepare(
        store,
        live_excerpts(folder, todo),
        engine or LocalEngine(embedder, batch_size=64, step=SENTENCE_STEP),
        on_progress=on_progress,
    )
    fingerprints = [s.fingerprint for s in todo if s.fingerprint]
    if fingerprints and not report.interrupted:
        store.mark_prepared(fingerprints)
    return report
