"""Re-runs are idempotent, changes and removals reach the store, and writes are atomic."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from casesearch.ingest.pipeline import ingest_paths
from casesearch.ingest.store import load_store, store_path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
PDF_COPY = "urban-planen-best-practice-template-pdf-extract.txt"
CLEAN_COPY = "urban-planen-best-practice-template.txt"


def case_text(title: str, body: str) -> str:
    return f"{title}\n\n{body} Residents and the municipality met every month for a year.\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


def store_json(data_dir: Path) -> dict:
    return json.loads(store_path(data_dir).read_text(encoding="utf-8"))


def without_mtimes(raw: dict) -> dict:
    for record in raw["sources"].values():
        record.pop("mtime")
    return raw


def test_ingest_twice_gives_identical_store(corpus: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = ingest_paths([corpus], data).to_dict()
    before = store_json(data)
    second = ingest_paths([corpus], data).to_dict()
    assert first == second
    assert store_json(data) == before
    # A fresh store from the same files has the same ids and text.
    ingest_paths([corpus], tmp_path / "fresh")
    fresh = store_json(tmp_path / "fresh")
    assert [c["id"] for c in fresh["cases"]] == [c["id"] for c in before["cases"]]
    assert fresh["cases"] == before["cases"]


def test_changed_file_replaces_its_cases(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(case_text("Market square", "The old square."), "utf-8")
    (folder / "b.txt").write_text(case_text("Harbour bath", "A bath in the harbour."), "utf-8")
    data = tmp_path / "data"
    ingest_paths([folder], data)
    (folder / "a.txt").write_text(case_text("Library garden", "A garden by the library."), "utf-8")
    report = ingest_paths([folder], data).to_dict()
    store = load_store(data)
    assert store is not None
    assert sorted(c.title for c in store.cases) == ["Harbour bath", "Library garden"]
    assert report["cases"] == 2
    assert store.sources[str(folder / "a.txt")].case_ids == ["library-garden"]


def test_removed_file_loses_its_cases_other_roots_stay(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "a.txt").write_text(case_text("Market square", "The old square."), "utf-8")
    (one / "b.txt").write_text(case_text("Harbour bath", "A bath in the harbour."), "utf-8")
    (two / "c.txt").write_text(case_text("Library garden", "A garden by the library."), "utf-8")
    data = tmp_path / "data"
    ingest_paths([one], data)
    ingest_paths([two], data)
    (one / "b.txt").unlink()
    ingest_paths([one], data)
    store = load_store(data)
    assert store is not None
    assert sorted(c.title for c in store.cases) == ["Library garden", "Market square"]
    assert str(one / "b.txt") not in store.sources


def test_duplicate_comes_back_when_its_better_copy_goes(corpus: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest_paths([corpus], data)
    (corpus / CLEAN_COPY).unlink()
    report = ingest_paths([corpus], data).to_dict()
    store = load_store(data)
    assert store is not None
    urban = [c for c in store.cases if c.title == "Partnerskabet, URBAN PLANEN"]
    assert len(urban) == 1
    assert Path(urban[0].source).name == PDF_COPY
    assert urban[0].also_sources == []
    assert urban[0].id == "partnerskabet-urban-planen"
    assert report["duplicates_merged"] == 0


def test_title_collision_between_different_cases_gets_a_suffix(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(case_text("Market square", "In Aarhus, a square."), "utf-8")
    (folder / "b.txt").write_text(
        case_text("Market square", "Totally different story about a harbour in Odense."), "utf-8"
    )
    ingest_paths([folder], tmp_path / "data")
    store = load_store(tmp_path / "data")
    assert store is not None
    ids = sorted(c.id for c in store.cases)
    assert ids[0] == "market-square"
    assert ids[1].startswith("market-square-") and len(ids[1]) == len("market-square-") + 6


def test_failed_write_leaves_previous_store(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    ingest_paths([corpus], data)
    before = store_path(data).read_bytes()
    (corpus / "extra.txt").write_text(case_text("Library garden", "A garden."), "utf-8")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        ingest_paths([corpus], data)
    monkeypatch.undo()
    assert store_path(data).read_bytes() == before
    store = load_store(data)
    assert store is not None and len(store.cases) >= 80
    assert not [p for p in store_path(data).parent.iterdir() if p.name.endswith(".tmp")]


def test_unreadable_store_counts_as_none(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{ half a store", encoding="utf-8")
    assert load_store(tmp_path) is None
    assert load_store(tmp_path / "nothing-here") is None
