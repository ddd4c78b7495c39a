"""One writer at a time per data directory.

Ingest reads the case store, adds what changed and writes it back; a build reads the index,
adds a segment and swaps a new version in. Two such runs at once on one data directory each
start from the same old state and the second swap silently discards the first run's work.
Every writer therefore holds an exclusive lock on ``<data_dir>/.writer.lock`` for the whole
read-change-write, and a second writer *waits* for it: it was started to add something, and
after waiting it reads the first run's result and adds its own, so nothing is lost. Waiting is
safe because the lock is an OS file lock (``flock`` through the ``filelock`` library): it is
released when its holder exits or is killed, so a crashed run never leaves a stale lock.
Readers (search) never take it; they rely on index versions being swapped in whole.

The lock is re-entrant within a thread, so :func:`casesearch.index.update.update_index` can
hold it around ingest, build and sentence vectors while :func:`build_index` (also called on
its own by the evaluation and the benchmarks) takes it again without deadlocking.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from casesearch.core.atomic import atomic_write_text

LOCK_NAME = ".writer.lock"
#: Who holds the lock (process id, what it does, since when): for the waiting message only.
HOLDER_NAME = ".writer.holder.json"

log = logging.getLogger(__name__)

_held = threading.local()


class DataDirBusyError(RuntimeError):
    """Another process kept the data directory's writer lock longer than the caller waits."""


def _depths() -> dict[str, int]:
    if not hasattr(_held, "depths"):
        _held.depths = {}
    depths: dict[str, int] = _held.depths
    return depths


def holder(data_dir: Path) -> str:
    """Who holds the lock, in words (best effort: the record may be stale or missing)."""
    try:
        record = json.loads((data_dir / HOLDER_NAME).read_text(encoding="utf-8"))
        since = time.strftime("%H:%M:%S", time.localtime(float(record["since"])))
        return f"{record['purpose']} (process {record['pid']}, since {since})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another casesearch run"


def _log_wait(message: str) -> None:
    log.warning("%s", message)


@contextlib.contextmanager
def writer_lock(
    data_dir: Path,
    *,
    purpose: str = "casesearch",
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the data directory's writer lock for the duration of the block.

    Args:
        data_dir: the data directory (created if missing).
        purpose: what this writer does, shown to writers that wait for it.
        timeout: seconds to wait at most (``None``: until the holder finishes).
        on_wait: told once, in words, whom this writer waits for (default: logged).

    Raises:
        DataDirBusyError: the lock was not free within ``timeout`` seconds.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = str((data_dir / LOCK_NAME).resolve())
    depths = _depths()
    if depths.get(path):
        depths[path] += 1
        try:
            yield
        finally:
            depths[path] -= 1
        return
    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        waited_for = holder(data_dir)
        (on_wait or _log_wait)(
            f"{data_dir} is being updated by {waited_for}; waiting for it to finish "
            "(Ctrl-C to give up; nothing is lost)"
        )
        try:
            lock.acquire(timeout=-1 if timeout is None else timeout)
        except Timeout:
            raise DataDirBusyError(
                f"{data_dir} is still being updated by {holder(data_dir)} after {timeout:g} s; "
                "try again when it has finished."
            ) from None
    depths[path] = 1
    try:
        record = {"pid": os.getpid(), "purpose": purpose, "since": time.time()}
        with contextlib.suppress(OSError):
            atomic_write_text(data_dir / HOLDER_NAME, json.dumps(record))
        yield
    finally:
        depths.pop(path, None)
        lock.release()
