"""Vectors of finished embedding batches of a build that has not been committed yet.

The index segments are the lasting cache of chunk vectors, but they are written only when a
build commits. Embedding a large collection takes hours to days, so a build killed before its
commit (a closed laptop, a lost driver of a cluster run) would otherwise lose everything it
had embedded. Every batch the embedding engine finishes is therefore written here at once,
keyed by the same chunk hash (text and model id) the segments use, and the next build of
either engine takes its vectors from here instead of embedding them again. A successful commit
empties the cache: its vectors then live in the index.

Layout: ``<data_dir>/embedding-cache/<model key>/`` holds parts, each a pair
``<part>.vectors.npy`` (float32, exactly what the model returned) and ``<part>.keys.npy``
(the chunk hashes, ASCII). Both are written atomically and the keys file last, so a part
without one is incomplete and ignored. Many small parts (one per batch) are merged into one
now and then, so a run over a million chunks leaves tens of files, not tens of thousands.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from casesearch.core.atomic import atomic_write_bytes

log = logging.getLogger(__name__)

DIRNAME = "embedding-cache"
KEYS = ".keys.npy"
VECTORS = ".vectors.npy"
#: When more than this many parts hold fewer than :data:`SMALL_PART_ROWS` rows each, they are
#: merged into one part.
MAX_SMALL_PARTS = 64
SMALL_PART_ROWS = 4096


def cache_dir(data_dir: Path, model_id: str) -> Path:
    """The cache folder of one model in a data directory."""
    return Path(data_dir) / DIRNAME / hashlib.sha256(model_id.encode()).hexdigest()[:16]


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


class EmbeddingCache:
    """Chunk vectors embedded by unfinished builds of one model, by chunk hash.

    Args:
        folder: the model's cache folder (:func:`cache_dir`).
        dim: the model's vector dimension; parts of another dimension are ignored.
        read: look up stored vectors (False for a rebuild, which embeds everything again but
            still saves its own progress).
    """

    def __init__(self, folder: Path, dim: int, *, read: bool = True) -> None:
        self.folder = folder
        self.dim = dim
        self.read = read
        self._small: list[str] = []  # parts of fewer than SMALL_PART_ROWS rows

    @classmethod
    def open(cls, data_dir: Path, model_id: str, dim: int, *, read: bool = True) -> EmbeddingCache:
        return cls(cache_dir(data_dir, model_id), dim, read=read)

    def _part_names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name[: -len(KEYS)] for p in self.folder.glob(f"*{KEYS}"))

    def _read_part(self, name: str, mmap: bool) -> tuple[list[str], np.ndarray] | None:
        try:
            keys = np.load(self.folder / f"{name}{KEYS}")
            vectors = np.load(self.folder / f"{name}{VECTORS}", mmap_mode="r" if mmap else None)
        except (OSError, ValueError) as exc:
            log.warning("embedding cache part %s unreadable, ignored: %s", name, exc)
            return None
        if keys.dtype.kind != "S" or vectors.shape != (len(keys), self.dim):
            log.warning("embedding cache part %s does not match this model, ignored", name)
            return None
        return [k.decode("ascii") for k in keys.tolist()], vectors

    def lookup(self, hashes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(found, vectors)`` for ``hashes``: which are stored, and their vectors (float32,
        zero rows where not found)."""
        found = np.zeros(len(hashes), dtype=bool)
        out = np.zeros((len(hashes), self.dim), dtype=np.float32)
        if not self.read or not hashes:
            return found, out
        wanted: dict[str, list[int]] = {}
        for i, h in enumerate(hashes):
            wanted.setdefault(h, []).append(i)
        for name in self._part_names():
            part = self._read_part(name, mmap=True)
            if part is None:
                continue
            keys, vectors = part
            for row, key in enumerate(keys):
                for i in wanted.get(key, ()):
                    if not found[i]:
                        out[i], found[i] = vectors[row], True
        return found, out

    def add(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Store one finished batch as a new part (atomically; keys file last)."""
        if len(hashes) == 0:
            return
        if len(hashes) != len(vectors):
            raise ValueError(f"{len(hashes)} chunk hashes for {len(vectors)} vectors")
        name = self._write(np.asarray(hashes, dtype="S"), np.asarray(vectors, dtype=np.float32))
        if len(hashes) < SMALL_PART_ROWS:
            self._small.append(name)
            if len(self._small) > MAX_SMALL_PARTS:
                self._merge(self._small)
                self._small = []

    def _write(self, keys: np.ndarray, vectors: np.ndarray) -> str:
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.folder / f"{name}{VECTORS}", _npy_bytes(vectors))
        atomic_write_bytes(self.folder / f"{name}{KEYS}", _npy_bytes(keys))
        return name

    def _merge(self, names: list[str]) -> None:
        """Rewrite small parts as one; the old ones are removed once it is complete."""
        keys: list[np.ndarray] = []
        vectors: list[np.ndarray] = []
        for name in names:
            part = self._read_part(name, mmap=False)
            if part is not None:
                keys.append(np.asarray(part[0], dtype="S"))
                vectors.append(part[1])
        if not keys:
            return
        try:
            self._write(np.concatenate(keys), np.concatenate(vectors))
        except OSError as exc:
            log.warning("could not merge embedding cache parts in %s: %s", self.folder, exc)
            return
        for name in names:
            for suffix in (KEYS, VECTORS):
                (self.folder / f"{name}{suffix}").unlink(missing_ok=True)

    def __len__(self) -> int:
        """Number of stored rows (reads every part's keys)."""
        total = 0
        for name in self._part_names():
            try:
                total += len(np.load(self.folder / f"{name}{KEYS}"))
            except (OSError, ValueError):
                continue
        return total

    def clear(self) -> None:
        """Forget everything (after a commit, when the vectors live in the index)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # the parent too, once no model has a cache
            self.folder.parent.rmdir()
        self._small = []
