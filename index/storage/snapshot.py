"""Open one whole version of an index while writers may be swapping newer ones in.

A writer swaps a new index version in with two renames (``index`` -> ``.index.old``, the
staged folder -> ``index``) and then removes the old folder. A reader that opens files by path
can fall between the renames (no ``index`` folder), or read the manifest of one version and a
segment file of the next. Readers take no lock (search must never wait for an update), so
instead every read is *checked*:

1. The manifest is read once, as bytes, from ``index`` (or, between the two renames, from
   ``.index.old``, which then still holds the previous complete version; readers never move
   folders, that is left to writers under the writer lock).
2. Every segment file is opened once and checked against the size and CRC-32 that manifest
   records for it before it is used (:class:`~casesearch.index.storage.segments.SegmentFiles`).
   So whatever is loaded is byte for byte the version that manifest describes.
3. If a file is missing or does not match, the manifest is read again. If it changed (or the
   folder moved), a writer got in between: the read is retried from the start. If it did not
   change, the index really is damaged, and :class:`IndexDamagedError` says which file.

Segment names are never reused for other content, and checksums make equal manifests mean
equal files, so a retry cannot mix two versions either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from casesearch.core.atomic import old_dir_name
from casesearch.index.storage.dense import APPROXIMATE_KINDS, DenseIndex, open_dense
from casesearch.index.storage.manifest import MANIFEST, IndexError_, Manifest, damaged
from casesearch.index.storage.segments import LiveView, SegmentDamagedError, load_live

#: Reads retried at most this often while writers keep swapping versions in.
ATTEMPTS = 20


class IndexChangingError(IndexError_):
    """The index was replaced more often than a reader could open it (try again)."""


@dataclass
class Snapshot:
    """One complete version of an index, as loaded."""

    folder: Path
    manifest: Manifest
    live: LiveView
    dense: DenseIndex


def _current(folder: Path) -> tuple[Path, bytes] | None:
    """Where the current version's manifest is, and its bytes (None: no index at all)."""
    for candidate in (folder, old_dir_name(folder)):
        try:
            return candidate, (candidate / MANIFEST).read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise damaged(folder, f"{MANIFEST} cannot be read ({exc.strerror or exc})") from exc
    return None


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the current version (see :func:`open_snapshot` for the errors)."""
    current = _current(folder)
    if current is None:
        return Manifest.load(folder)  # raises IndexMissingError with the way to build one
    return Manifest.from_bytes(current[1], folder)


def open_snapshot(folder: Path, *, check: Callable[[Manifest], None] | None = None) -> Snapshot:
    """Load the live rows and the dense index in ``folder``, consistently (see the module text).

    Args:
        folder: the index folder (``<data_dir>/index``).
        check: called with the manifest before anything else is read (e.g. refuse another
            model); its errors are raised as they are.

    Raises:
        IndexMissingError: nothing was indexed yet.
        IndexMismatchError: another format version (or what ``check`` raises).
        IndexDamagedError: a file is damaged (named in the message).
        IndexChangingError: the index kept changing during :data:`ATTEMPTS` reads.
    """
    for attempt in range(ATTEMPTS):
        current = _current(folder)
        if current is None:
            Manifest.load(folder)  # raises IndexMissingError with the way to build one
            continue  # ... unless an index appeared just now
        where, raw = current
        manifest = Manifest.from_bytes(raw, folder)
        if check is not None:
            check(manifest)
        try:
            in_memory = manifest.dense_kind not in APPROXIMATE_KINDS
            live = load_live(where, manifest.segments, manifest.dim, with_vectors=in_memory)
            langs = [str(lang) for lang in live.chunks.lang.tolist()]
            dense = open_dense(where, manifest.segments, manifest.dense_kind, live, langs)
        except (SegmentDamagedError, RuntimeError) as exc:
            if _current(folder) == current:  # nothing moved: the damage is real
                raise damaged(folder, str(exc)) from exc
            time.sleep(0.01 * (attempt + 1))
            continue
        return Snapshot(where, manifest, live, dense)
    raise IndexChangingError(
        f"The index in {folder} was replaced {ATTEMPTS} times while it was being opened "
        "(an update is running); try again in a moment."
    )
