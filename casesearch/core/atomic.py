"""Crash-safe writes: a reader sees either the old artefact or the complete new one.

Files are written to a temporary sibling, flushed to disk and renamed over the target.
Folders (indexes, converted models) are built in a temporary sibling and swapped in with two
renames; if a crash falls between them, :func:`recover_dir` puts the previous folder back.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is never seen half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def old_dir_name(final: Path) -> Path:
    """Where :func:`staged_dir` keeps the previous folder between its two renames."""
    return final.with_name(f".{final.name}.old")


def recover_dir(final: Path) -> None:
    """Undo an interrupted swap: restore the previous folder if the new one never landed."""
    old = old_dir_name(final)
    if old.exists():
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(old, final)


@contextlib.contextmanager
def staged_dir(final: Path) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces ``final`` atomically enough.

    On an exception the temporary folder is removed and ``final`` is untouched.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(final)
    clean_stale_temporaries(final)
    tmp = Path(
        tempfile.mkdtemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp", dir=final.parent)
    )
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = old_dir_name(final)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temporaries(final: Path) -> None:
    """Remove temporary folders of ``final`` left by builds whose process has died."""
    for leftover in final.parent.glob(f".{final.name}.*.tmp"):
        parts = leftover.name.split(".")
        pid = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
        if pid is None or (pid != os.getpid() and not _alive(pid)):
            shutil.rmtree(leftover, ignore_errors=True)
