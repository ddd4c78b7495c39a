"""One writer at a time per data directory: concurrent runs wait instead of losing data."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from casesearch.index.search.searcher import Searcher
from casesearch.ingest.store import load_store

REPO = Path(__file__).resolve().parents[1]

DOCS = {
    "garden.txt": "Community garden in Nordby\n\nResidents turned an empty lot into a "
    "vegetable garden. Volunteers teach children to grow beans.",
    "ferry.txt": "Ferry timetable with islanders\n\nIslanders redesigned the winter "
    "timetable together with the ferry company in three workshops.",
}


def _casesearch(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "casesearch.cli.main", *args, "--data-dir", str(data_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def work(tmp_path: Path, model_dir: Path, embedder) -> tuple[Path, Path]:
    """A data directory sharing the session's converted model, and a folder of two files."""
    assert embedder.dim  # converts the model into model_dir
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "models").symlink_to(model_dir / "models")
    files = tmp_path / "files"
    files.mkdir()
    for name, text in DOCS.items():
        (files / name).write_text(text, encoding="utf-8")
    return data_dir, files


def test_two_index_runs_at_once_keep_both_files(work: tuple[Path, Path], embedder) -> None:
    data_dir, files = work
    runs = [
        _casesearch("index", str(files / name), "--no-sentences", data_dir=data_dir)
        for name in DOCS
    ]
    outcomes = [run.communicate(timeout=600) for run in runs]
    for run, (_, err) in zip(runs, outcomes, strict=True):
        assert run.returncode == 0, err
        assert "Traceback" not in err
    store = load_store(data_dir)
    assert store is not None
    assert {Path(c.source).name for c in store.cases} == set(DOCS)
    searcher = Searcher.load(data_dir, embedder)
    assert {Path(c.source).name for c in searcher.cases} == set(DOCS)


def _wait_for_line(proc: subprocess.Popen[str], needle: str, seconds: float) -> str:
    """Read the process's stderr until a line contains ``needle`` (or it ends)."""
    assert proc.stderr is not None
    deadline = time.time() + seconds
    seen = []
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} never printed; stderr was: {''.join(seen)}")


@pytest.mark.parametrize("command", ["index", "ingest"])
def test_a_second_writer_waits_with_a_message(work: tuple[Path, Path], command: str) -> None:
    from casesearch.core.lock import writer_lock

    data_dir, files = work
    with writer_lock(data_dir, purpose="a test holding the lock"):
        args = [command, str(files / "garden.txt")]
        if command == "index":
            args.append("--no-sentences")
        proc = _casesearch(*args, data_dir=data_dir)
        line = _wait_for_line(proc, "waiting", 300)
        assert "a test holding the lock" in line and str(data_dir) in line
        time.sleep(1.0)
        assert proc.poll() is None, "the second writer must wait while the lock is held"
        assert load_store(data_dir) is None  # nothing written yet
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    store = load_store(data_dir)
    assert store is not None and [Path(c.source).name for c in store.cases] == ["garden.txt"]


def test_the_lock_is_reentrant_and_other_processes_see_it(tmp_path: Path) -> None:
    from casesearch.core.lock import DataDirBusyError, writer_lock

    probe = (
        "import sys; from pathlib import Path; from casesearch.core.lock import writer_lock, "
        "DataDirBusyError\n"
        "try:\n"
        "    with writer_lock(Path(sys.argv[1]), timeout=0.2): print('got it')\n"
        "except DataDirBusyError as exc: print('busy:', exc)\n"
    )

    def other_process() -> str:
        out = subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path)],
            capture_output=True, text=True, timeout=120, check=True, cwd=REPO,
        )  # fmt: skip
        return out.stdout

    with writer_lock(tmp_path, purpose="outer"), writer_lock(tmp_path, purpose="inner"):
        assert other_process().startswith("busy:")
    assert other_process().strip() == "got it"
    with writer_lock(tmp_path, purpose="outer"):
        assert "outer" in other_process()
    with pytest.raises(DataDirBusyError):
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import sys, time; from pathlib import Path; from casesearch.core.lock import "
             "writer_lock\nwith writer_lock(Path(sys.argv[1]), purpose='sleeper'):\n"
             "    print('held', flush=True); time.sleep(30)\n", str(tmp_path)],
            stdout=subprocess.PIPE, text=True, cwd=REPO,
        )  # fmt: skip
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            with writer_lock(tmp_path, timeout=0.3):
                pass
        finally:
            holder.kill()
            holder.wait()
