"""``casesearch index`` killed with SIGKILL at random moments leaves the old or the new index.

Two real updates of a small corpus are each killed at 10 moments drawn (seeded) across their
measured duration: one that appends documents, and one that changes enough documents to force
a full merge. After every kill the index must open and hold exactly the old or exactly the new
content (corpus fingerprint and case ids), and the next run must complete the update.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casesearch.index.search.searcher import Searcher
from casesearch.index.update import UpdateOptions, update_index

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
KILLS_PER_UPDATE = 10
SEED = 20240611

VOCABULARY = (
    "residents municipality garden library budget youth council ferry island climate "
    "assembly volunteers workshop harbour school teachers parents bicycles repair cafe "
    "neighbours housing association tenants playground park trees compost waste energy "
    "solar heating bus route timetable market square festival elders loneliness walking "
    "group museum archive photos stories theatre music choir football field swimming pool "
    "allotment bees flowers river flooding dike farmers cooperative shop bakery kitchen "
    "refugees language lessons mentors jobs apprentices carpenters plumbers survey votes "
    "proposals map drawings model exhibition church hall sports club canoe forest trail"
)
WORDS = VOCABULARY.split()


def _doc(i: int, version: int = 0) -> str:
    """A small document of its own words (no two are near-duplicates, so none is merged)."""
    rng = random.Random(f"{i}-{version}")
    sentences = [" ".join(rng.choices(WORDS, k=rng.randint(10, 14))) for _ in range(3)]
    title = " ".join(rng.sample(WORDS, 3)).title()
    return f"{title} case {i}\n\n" + ". ".join(s.capitalize() for s in sentences) + "."


def _write(folder: Path, docs: dict[str, str]) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")


OLD = {f"case-{i:02d}.txt": _doc(i) for i in range(24)}
APPENDED = {**OLD, **{f"case-{i:02d}.txt": _doc(i) for i in range(24, 36)}}
# 10 of 24 documents changed (more than a quarter of the stored chunks): a full merge.
MERGED = {name: _doc(i, version=1 if i < 10 else 0) for i, name in enumerate(OLD)}


def _cli(files: Path, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "casesearch.cli.main", "index", str(files), "--json",
         "--data-dir", str(data_dir)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _timed_run(files: Path, data_dir: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    proc = _cli(files, data_dir)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return time.perf_counter() - started, json.loads(out)


def _state(data_dir: Path, embedder) -> tuple[str, list[str]]:
    searcher = Searcher.load(data_dir, embedder)
    assert searcher.search("community garden", 3, highlight=False).results
    return searcher.manifest.corpus_fingerprint, sorted(c.id for c in searcher.cases)


def test_index_killed_at_random_moments_keeps_old_or_new(
    tmp_path: Path, model_dir: Path, embedder
) -> None:
    rng = random.Random(SEED)
    base = tmp_path / "base"
    base.mkdir()
    (base / "models").symlink_to(model_dir / "models")
    files = tmp_path / "files"
    _write(files, OLD)
    _timed_run(files, base)
    old = _state(base, embedder)
    outcomes: dict[str, int] = {"old": 0, "new": 0}

    for update, expected_mode in ((APPENDED, "append"), (MERGED, "full")):
        # The update run to completion once: the new state and how long the update takes.
        reference = tmp_path / f"reference-{expected_mode}"
        shutil.copytree(base, reference, symlinks=True)
        _write(files, update)
        full_seconds, report = _timed_run(files, reference)
        assert report["mode"] == expected_mode
        new = _state(reference, embedder)
        assert new != old
        idle_seconds, idle = _timed_run(files, reference)  # nothing left to do: start-up cost
        assert idle["mode"] == "unchanged"
        for trial in range(KILLS_PER_UPDATE):
            data_dir = tmp_path / f"{expected_mode}-{trial}"
            shutil.copytree(base, data_dir, symlinks=True)
            delay = rng.uniform(0.8 * idle_seconds, full_seconds)
            proc = _cli(files, data_dir)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            state = _state(data_dir, embedder)
            assert state in (old, new), f"{expected_mode} killed after {delay:.2f}s: a mix"
            outcomes["old" if state == old else "new"] += 1
            # The next run finishes the update from wherever the killed one stopped.
            update_index([files], data_dir, embedder, options=UpdateOptions(sentences=False))
            assert _state(data_dir, embedder) == new
            assert not [p for p in data_dir.iterdir() if p.name.startswith(".index.")]
            shutil.rmtree(data_dir)
        _write(files, OLD)
    assert outcomes["old"] and outcomes["new"], f"kills did not span the update: {outcomes}"
