"""Reading each file in a separate process, with a time and a memory budget.

One hostile file must not stall or exhaust a run: in the app an update holds the build lock,
so a file that takes an hour holds every other visitor's upload for that hour, and a file
that takes all memory takes the app down with it. Parsers are fast on real files but not
proven so on all input, so every file is read by a worker process that is

- given ``file_seconds`` of wall-clock time per file (plus ``file_seconds_per_mb`` per MB
  of it), then killed and replaced;
- limited to ``file_memory_mb`` of address space on top of its own start-up size (a
  ``MemoryError`` there skips the file; the worker is replaced);
- started once and reused for every file of a run (and kept for the next run in the same
  process), because starting one costs about as much as reading dozens of small files.

The worker is a fresh interpreter (``python -m casesearch.ingest.isolation``) started with
``subprocess``, not a ``fork`` of the caller: the app's process runs many threads (Streamlit,
torch), and a forked copy of a threaded process can deadlock on a lock some other thread
held. It gets the file's bytes over a pipe and answers in JSON, so a worker that was led
astray by a file cannot hand anything but data back.

With both budgets set to ``None`` files are read in the calling process, without limits.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from casesearch.ingest.options import IngestOptions
from casesearch.ingest.parsing import ParsedFile, parse_file
from casesearch.ingest.readers import OverLimit, Skip

_HEADER = 8  # bytes of length before every message
_READY = b"ready"
_START_SECONDS = 120.0
_MB = 1_000_000
_KEEP_IDLE = 1
_read_count = 0
_count_lock = threading.Lock()


@dataclass
class FileRequest:
    """One file to read.

    Attributes:
        path: the file (its name and suffix decide the format).
        data: its bytes.
        source: its store key.
        collection: its collection when it holds one case.
        stem: its name without suffix, readable.
    """

    path: Path
    data: bytes
    source: str
    collection: str
    stem: str


@dataclass
class Outcome:
    """What reading one file gave: its cases, or why there are none.

    Attributes:
        parsed: the file's cases, or ``None`` when it was skipped.
        reason: why it was skipped.
        over_budget: skipped over a time, memory or unpacked-size limit (so it is tried
            again when the limits change, and not before unless the file changes).
    """

    parsed: ParsedFile | None
    reason: str | None = None
    over_budget: bool = False


def files_read() -> int:
    """How many files this process has read (or had read by a worker) so far."""
    return _read_count


def _count() -> None:
    global _read_count
    with _count_lock:
        _read_count += 1


def read_here(request: FileRequest, options: IngestOptions) -> dict[str, Any]:
    """Read one file in this process; the result as JSON-able data (what a worker sends)."""
    try:
        parsed = parse_file(
            request.path,
            request.data,
            options,
            source=request.source,
            collection=request.collection,
            stem=request.stem,
        )
    except OverLimit as exc:
        return {"skip": str(exc), "over_budget": True}
    except Skip as exc:
        return {"skip": str(exc)}
    except MemoryError:
        return {"memory": True}
    except Exception as exc:  # a reader bug must not stop the other files
        return {"skip": f"unreadable ({type(exc).__name__}: {exc})"[:200]}
    return {"parsed": parsed.to_json()}


def _memory_reason(options: IngestOptions) -> str:
    if options.file_memory_mb is None:
        return "out of memory"
    return f"over the memory budget ({options.file_memory_mb} MB per file)"


def _outcome(result: dict[str, Any], options: IngestOptions) -> Outcome:
    if "parsed" in result:
        return Outcome(ParsedFile.from_json(result["parsed"]))
    if result.get("memory"):
        return Outcome(None, _memory_reason(options), over_budget=True)
    return Outcome(None, result["skip"], over_budget=bool(result.get("over_budget")))


# ------------------------------------------------------------------ the worker side
def _address_space() -> int | None:
    """This process's virtual size in bytes (Linux), or ``None`` when unknown."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _resident() -> int:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(extra_mb: int) -> None:
    """Cap the address space at what the process has now plus ``extra_mb``."""
    import resource

    size = _address_space()
    if size is None:
        return  # no /proc: no memory budget (documented)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + extra_mb * _MB
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _warm_up() -> None:
    """Do once what the first file would pay for, so it is not charged to its budget."""
    import docx  # noqa: F401  (the readers import these when a format needs them)
    import pypdf  # noqa: F401

    from casesearch.ingest.language import language_of

    language_of("The language profiles load on the first detection; " * 3)


def _exit_with_parent(parent: int) -> None:
    """End this worker when the process that started it is gone, even in the middle of a
    file (a closed pipe is only noticed between files)."""
    while True:
        time.sleep(2)
        if os.getppid() != parent:
            os._exit(1)


def _write_message(out: IO[bytes], body: bytes) -> None:
    out.write(len(body).to_bytes(_HEADER, "big") + body)
    out.flush()


def _read_message(source: IO[bytes]) -> bytes | None:
    header = source.read(_HEADER)
    if len(header) < _HEADER:
        return None
    size = int.from_bytes(header, "big")
    body = source.read(size)
    return body if len(body) == size else None


def serve(memory_mb: int) -> None:
    """The worker's loop: read a request from stdin, answer on stdout, until stdin closes.

    Anything a library prints goes to stderr, so the answers on stdout stay whole.
    """
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    source = sys.stdin.buffer
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _warm_up()
    if memory_mb > 0:
        _limit_memory(memory_mb)
    _write_message(out, _READY)
    while True:
        payload = _read_message(source)
        if payload is None:
            return
        options, request = pickle.loads(payload)
        result = read_here(request, options)
        result["rss"] = _resident()
        try:
            body = json.dumps(result).encode("ascii")
        except MemoryError:
            body = json.dumps({"memory": True}).encode("ascii")
        _write_message(out, body)


# ------------------------------------------------------------------ the caller side
class _WorkerDied(Exception):
    """The worker process ended while reading a file."""


class _WorkerGone(Exception):
    """The worker process had ended before it was given the file."""


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, memory_mb: int | None) -> None:
        self.memory_mb = memory_mb
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casesearch.ingest.isolation", str(memory_mb or 0)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.rss = 0
        self.ready = False
        self.busy = False  # a request is out and its answer not read

    def _receive(self, deadline: float | None) -> bytes | None:
        """The next message, ``None`` when the deadline passes first."""
        header = self._read_exact(_HEADER, deadline)
        if header is None:
            return None
        return self._read_exact(int.from_bytes(header, "big"), deadline)

    def _read_exact(self, size: int, deadline: float | None) -> bytes | None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        chunks: list[bytes] = []
        left = size
        while left:
            timeout = None if deadline is None else deadline - time.monotonic()
            if timeout is not None and timeout <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise _WorkerDied
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def wait_ready(self) -> None:
        """Wait for the worker to have started (its imports done, its limit set)."""
        if self.ready:
            return
        message = self._receive(time.monotonic() + _START_SECONDS)
        if message != _READY:
            self.kill()
            raise _WorkerDied
        self.ready = True

    def ask(self, payload: bytes, seconds: float | None) -> dict[str, Any] | None:
        """Send one request; the answer, or ``None`` when ``seconds`` pass first."""
        assert self.process.stdin is not None
        deadline = None if seconds is None else time.monotonic() + seconds
        self.busy = True
        try:
            self.process.stdin.write(len(payload).to_bytes(_HEADER, "big") + payload)
            self.process.stdin.flush()
        except OSError as exc:  # a broken pipe: it ended while idle
            raise _WorkerGone from exc
        message = self._receive(deadline)
        if message is None:
            return None
        self.busy = False
        result = json.loads(message)
        self.rss = int(result.pop("rss", 0))
        return result

    def alive(self) -> bool:
        return self.process.poll() is None

    def how_it_ended(self) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "did not answer"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


_idle: list[_Worker] = []
_idle_lock = threading.Lock()


def _take_idle(memory_mb: int | None) -> _Worker | None:
    with _idle_lock:
        for worker in list(_idle):
            _idle.remove(worker)
            if worker.memory_mb == memory_mb and worker.alive():
                return worker
            worker.kill()
    return None


def _give_back(worker: _Worker) -> None:
    with _idle_lock:
        _idle.append(worker)
        while len(_idle) > _KEEP_IDLE:
            _idle.pop(0).kill()


@atexit.register
def _stop_idle_workers() -> None:
    with _idle_lock:
        while _idle:
            _idle.pop().kill()


class FileReader:
    """Reads files with the budgets of ``options``; use as a context manager.

    Each file is read by a worker process (see the module description); a worker that
    went over a budget is killed and the next file gets a new one. When no worker can be
    started here, files are read in this process, without budgets, with a warning.
    """

    def __init__(self, options: IngestOptions) -> None:
        self.options = options
        self._worker: _Worker | None = None
        self._isolated = options.isolated

    def __enter__(self) -> FileReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Keep a healthy worker for the next run in this process; stop any other."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if worker.alive() and worker.ready and not worker.busy:
            _give_back(worker)
        else:
            worker.kill()

    def _worker_for_next_file(self) -> _Worker | None:
        if self._worker is None:
            self._worker = _take_idle(self.options.file_memory_mb)
        if self._worker is None:
            try:
                self._worker = _Worker(self.options.file_memory_mb)
            except OSError:
                return None
        try:
            self._worker.wait_ready()
        except _WorkerDied:
            self._worker = None
            return None
        return self._worker

    def read(self, request: FileRequest) -> Outcome:
        """Read one file; never raises for anything the file holds."""
        _count()
        if self._isolated:
            payload = pickle.dumps((self.options, request), protocol=pickle.HIGHEST_PROTOCOL)
            for _ in range(2):  # a worker that ended while idle is replaced once
                worker = self._worker_for_next_file()
                if worker is None:
                    break
                try:
                    return self._ask(worker, payload, len(request.data))
                except _WorkerGone:
                    self._worker = None
                    worker.kill()
            warnings.warn(
                "cannot start a process to read files in; reading them here, without time "
                "and memory budgets",
                RuntimeWarning,
                stacklevel=2,
            )
            self._isolated = False
        return _outcome(read_here(request, self.options), self.options)

    def _ask(self, worker: _Worker, payload: bytes, size: int) -> Outcome:
        seconds = self.options.seconds_for(size)
        try:
            result = worker.ask(payload, seconds)
        except _WorkerDied:
            self._worker = None
            ended = worker.how_it_ended()
            worker.kill()
            return self._died(ended)
        if result is None:
            self._worker = None
            worker.kill()
            return Outcome(None, self._time_reason(seconds, size), over_budget=True)
        if result.get("memory") or self._too_big(worker):
            self._worker = None
            worker.kill()  # the next file gets a fresh worker, not a bloated one
        return _outcome(result, self.options)

    def _time_reason(self, seconds: float | None, size: int) -> str:
        base, per_mb = self.options.file_seconds, self.options.file_seconds_per_mb
        if not per_mb:
            return f"over the time budget ({base:g} s per file)"
        return (
            f"over the time budget ({seconds:.0f} s for this {size / _MB:.1f} MB file: "
            f"{base:g} s + {per_mb:g} s per MB)"
        )

    def _died(self, ended: str) -> Outcome:
        reason = f"the reading process died ({ended})"
        if self.options.file_memory_mb is not None:
            reason += f", most likely over the memory budget ({self.options.file_memory_mb} MB)"
        return Outcome(None, reason, over_budget=True)

    def _too_big(self, worker: _Worker) -> bool:
        """A worker that grew past half its budget (or 1 GB) is replaced."""
        budget = self.options.file_memory_mb or 2000
        return worker.rss > budget * _MB // 2


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
