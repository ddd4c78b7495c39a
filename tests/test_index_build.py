"""Incremental indexing, refusal of mismatching indexes, and crash safety (real model, FAISS)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from casesearch.index.search.searcher import Searcher
from casesearch.index.storage.build import BuildReport, build_index, index_dir
from casesearch.index.storage.manifest import MANIFEST, IndexMismatchError
from casesearch.ingest.pipeline import ingest_paths
from casesearch.ingest.store import load_store

REPO = Path(__file__).resolve().parents[1]

DOCS = {
    "garden.txt": (
        "Community gardens in Nordby\n\n"
        "Residents of Nordby turned an empty lot into a shared vegetable garden. "
        "The municipality lent tools and water, and the housing association paid for soil.\n\n"
        "Every Saturday volunteers teach children how to grow potatoes and beans. "
        "Older residents share recipes, and the harvest is cooked together in the common room."
    ),
    "bibliotek.txt": (
        "Borgerbudget på biblioteket\n\n"
        "Biblioteket i Sydby lod borgerne bestemme, hvordan 200.000 kroner skulle bruges. "
        "Over tre aftener stemte 400 borgere om forslag fra lokale foreninger.\n\n"
        "Vinderen blev et lektiecafé for unge, som frivillige fra gymnasiet driver. "
        "Biblioteket vil gentage borgerbudgettet hvert andet år."
    ),
    "bikes.txt": (
        "Repair cafe for bicycles\n\n"
        "A monthly repair cafe lets residents fix their bicycles with help from volunteers. "
        "Spare parts come from abandoned bikes collected by the municipality.\n\n"
        "The cafe has become a meeting place where newcomers practise the language "
        "while they work on their bikes together with neighbours."
    ),
}


def _index(folder: Path, data_dir: Path, embedder) -> BuildReport:
    ingest_paths([folder], data_dir)
    store = load_store(data_dir)
    assert store is not None
    return build_index(store.cases, data_dir, embedder)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_only_new_changed_chunks_are_embedded(corpus: Path, tmp_path: Path, embedder) -> None:
    data_dir = tmp_path / "data"
    first = _index(corpus, data_dir, embedder)
    assert first.embedded == first.chunks > 0
    assert first.reused == 0

    again = _index(corpus, data_dir, embedder)
    assert again.embedded == 0
    assert again.reused == first.chunks

    (corpus / "ferry.txt").write_text(
        "Ferry timetable co-designed with islanders\n\nIslanders and the ferry company "
        "redesigned the winter timetable together in three workshops.",
        encoding="utf-8",
    )
    added = _index(corpus, data_dir, embedder)
    new_chunks = added.chunks - first.chunks
    assert new_chunks >= 1
    assert added.embedded == new_chunks
    assert added.reused == first.chunks

    text = DOCS["bikes.txt"].replace("monthly", "weekly")
    (corpus / "bikes.txt").write_text(text, encoding="utf-8")
    changed = _index(corpus, data_dir, embedder)
    store = load_store(data_dir)
    assert store is not None
    bikes = next(c for c in store.cases if "bicycles" in c.title.lower())
    assert 1 <= changed.embedded <= len(bikes.chunks)
    assert changed.removed == changed.embedded

    (corpus / "garden.txt").unlink()
    removed = _index(corpus, data_dir, embedder)
    assert removed.embedded == 0
    assert removed.removed >= 1
    searcher = Searcher.load(data_dir, embedder)
    titles = [r.title for r in searcher.search("vegetable garden with children", 10).results]
    assert not any("garden" in t.lower() for t in titles)


def test_index_built_with_another_model_is_refused(corpus: Path, tmp_path: Path, embedder) -> None:
    data_dir = tmp_path / "data"
    _index(corpus, data_dir, embedder)
    manifest_path = index_dir(data_dir) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["model_id"] = "sentence-transformers/some-other-model"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError) as info:
        Searcher.load(data_dir, embedder)
    message = str(info.value)
    assert "some-other-model" in message and "casesearch index" in message


def test_index_of_another_format_is_refused(corpus: Path, tmp_path: Path, embedder) -> None:
    data_dir = tmp_path / "data"
    _index(corpus, data_dir, embedder)
    manifest_path = index_dir(data_dir) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 0
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Searcher.load(data_dir, embedder)


def test_interrupted_swap_is_recovered(corpus: Path, tmp_path: Path, embedder) -> None:
    """A crash between moving the old index aside and moving the new one in."""
    data_dir = tmp_path / "data"
    _index(corpus, data_dir, embedder)
    live = index_dir(data_dir)
    os.replace(live, live.with_name(".index.old"))
    searcher = Searcher.load(data_dir, embedder)
    assert searcher.search("repair cafe for bicycles", 3).results


KILLED_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import casesearch.index.storage.build
    from casesearch.index.storage.build import build_index
    from casesearch.index.model.embedder import load_embedder
    from casesearch.ingest.pipeline import ingest_paths
    from casesearch.ingest.store import load_store

    corpus, data_dir, model_dir = map(Path, sys.argv[1:4])
    ingest_paths([corpus], data_dir)
    store = load_store(data_dir)
    embedder = load_embedder(None, model_dir)
    original = casesearch.index.storage.build.write_segment

    def slow_write(folder, segment):
        original(folder, segment)
        print("SAVING", flush=True)   # the new index is half written now
        time.sleep(60)

    casesearch.index.storage.build.write_segment = slow_write
    build_index(store.cases, data_dir, embedder)
    """
)


def test_kill_during_save_leaves_the_old_index_usable(
    corpus: Path,
    tmp_path: Path,
    model_dir: Path,
    embedder,
) -> None:
    data_dir = tmp_path / "data"
    _index(corpus, data_dir, embedder)
    before = Searcher.load(data_dir, embedder).search("borgerbudget", 3)

    (corpus / "extra.txt").write_text(
        "Skatepark planned by teenagers\n\nTeenagers drew the skatepark themselves.",
        encoding="utf-8",
    )
    script = tmp_path / "killed_build.py"
    script.write_text(KILLED_BUILD, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(corpus), str(data_dir), str(model_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 240
        line = ""
        while time.time() < deadline and "SAVING" not in line:
            line = proc.stdout.readline() if proc.stdout else ""
            if proc.poll() is not None:
                break
        assert "SAVING" in line, "the build never reached the save step"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    leftovers = [p for p in data_dir.iterdir() if p.name.startswith(".index.")]
    assert leftovers, "the half-written index should be in a temporary folder"

    after = Searcher.load(data_dir, embedder).search("borgerbudget", 3)
    assert [r.case_id for r in after.results] == [r.case_id for r in before.results]
    assert not any("skatepark" in r.title.lower() for r in after.results)

    report = _index(corpus, data_dir, embedder)  # the next build succeeds and cleans up
    # The new chunk was embedded before the kill: its vector is taken from the embedding cache.
    assert report.resumed >= 1 and report.embedded == 0
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".index.")]
