"""A damaged index file gives one clear message (never a traceback), and ``index`` repairs it.

Each test copies the session's seed index and damages one file the way a disk, a careless
copy or an editor would: truncated, not the right format, the right format with wrong types,
or a few flipped bytes that keep the size.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from casesearch.index.search.searcher import Searcher
from casesearch.index.storage.build import build_index, index_dir
from casesearch.index.storage.manifest import MANIFEST, IndexDamagedError, Manifest
from casesearch.index.update import UpdateOptions, update_index
from casesearch.ingest.store import load_store

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00\x01 this is not what the file should hold \xff")


def _flip(path: Path) -> None:
    """Change bytes in the middle of the file; size and format stay valid."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2 + 7
    for i in range(middle, min(middle + 16, len(data))):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _json_edit(edit: Callable[[dict], object]) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        path.write_text(json.dumps(edit(json.loads(path.read_text()))), encoding="utf-8")

    return damage


def _set(key: str, value: object) -> Callable[[dict], object]:
    return lambda d: {**d, key: value}


MANIFEST_DAMAGE = {
    "truncated": _truncate,
    "not-json": _garbage,
    "a-list": _json_edit(lambda d: [d]),
    "segments-a-string": _json_edit(_set("segments", "seg-000001")),
    "dim-a-string": _json_edit(_set("dim", "three hundred")),
    "segment-name-a-number": _json_edit(lambda d: {**d, "segments": [{"name": 7}]}),
    "segment-name-leaves-the-folder": _json_edit(
        lambda d: {**d, "segments": [{**d["segments"][0], "name": "../../store"}]}
    ),
    "deleted-cases-text": _json_edit(
        lambda d: {**d, "segments": [{**d["segments"][0], "deleted_cases": "all"}]}
    ),
    "model-missing": _json_edit(lambda d: {k: v for k, v in d.items() if k != "model_id"}),
}

SEGMENT_DAMAGE = {
    "postings.npz-truncated": ("postings.npz", _truncate),
    "postings.npz-garbage": ("postings.npz", _garbage),
    "vocab.json-not-json": ("vocab.json", _garbage),
    "vocab.json-shorter": ("vocab.json", _json_edit(lambda d: d[:-5])),
    "chunks.json-truncated": ("chunks.json", _truncate),
    "chunks.json-wrong-types": ("chunks.json", _json_edit(lambda d: {"case": "x"})),
    "cases.json-truncated": ("cases.json", _truncate),
    "hashes.json-wrong-count": ("hashes.json", _json_edit(lambda d: d[:3])),
    "case_keys.json-garbage": ("case_keys.json", _garbage),
    "vectors.npy-truncated": ("vectors.npy", _truncate),
    "vectors.npy-flipped": ("vectors.npy", _flip),
    "chunks.json-flipped": ("chunks.json", _flip),
}


@pytest.fixture
def copy_of_seed(seed_data_dir: Path, model_dir: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(seed_data_dir, data_dir, symlinks=True)
    if not (data_dir / "models").exists():
        (data_dir / "models").symlink_to(model_dir / "models")
    return data_dir


def _first_segment(data_dir: Path) -> Path:
    folder = index_dir(data_dir)
    return folder / Manifest.load(folder).segments[0].name


def _damage(data_dir: Path, kind: str) -> None:
    if kind in MANIFEST_DAMAGE:
        MANIFEST_DAMAGE[kind](index_dir(data_dir) / MANIFEST)
    else:
        name, damage = SEGMENT_DAMAGE[kind]
        damage(_first_segment(data_dir) / name)


def _assert_clear(message: str, data_dir: Path) -> None:
    assert str(index_dir(data_dir)) in message
    assert "casesearch index" in message and str(data_dir) in message


@pytest.mark.parametrize("kind", [*MANIFEST_DAMAGE, *SEGMENT_DAMAGE])
def test_searching_a_damaged_index_says_what_and_how_to_rebuild(
    copy_of_seed: Path, embedder, kind: str
) -> None:
    _damage(copy_of_seed, kind)
    with pytest.raises(IndexDamagedError) as info:
        Searcher.load(copy_of_seed, embedder)
    _assert_clear(str(info.value), copy_of_seed)


@pytest.mark.parametrize(
    "kind", ["not-json", "dim-a-string", "postings.npz-truncated", "chunks.json-wrong-types"]
)
def test_the_command_line_reports_damage_without_a_traceback(copy_of_seed: Path, kind: str) -> None:
    _damage(copy_of_seed, kind)
    out = subprocess.run(
        [sys.executable, "-m", "casesearch.cli.main", "search", "klimaborgerting",
         "--data-dir", str(copy_of_seed)],
        capture_output=True, text=True, timeout=300, cwd=REPO, check=False,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    _assert_clear(out.stderr, copy_of_seed)


def test_the_app_reports_damage_and_offers_a_rebuild(
    copy_of_seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    _damage(copy_of_seed, "postings.npz-truncated")
    monkeypatch.setenv("CASESEARCH_DATA_DIR", str(copy_of_seed))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert not at.exception
    shown = " ".join(e.value for e in [*at.error, *at.warning])
    assert "damaged" in shown and "casesearch index" in shown
    [button] = [b for b in at.button if b.label == "Rebuild the search index"]
    at = button.click().run(timeout=300)
    assert not at.exception
    assert Searcher.load(copy_of_seed, at_embedder(copy_of_seed)).search("klimaborgerting", 3)


def at_embedder(data_dir: Path):
    from casesearch.index.model.embedder import load_embedder

    return load_embedder(None, data_dir)


# --------------------------------------------------------------------------- repair
DOCS = {
    "garden.txt": "Community gardens in Nordby\n\nResidents of Nordby turned an empty lot into "
    "a shared vegetable garden. Volunteers teach children how to grow potatoes and beans.",
    "bibliotek.txt": "Borgerbudget på biblioteket\n\nBiblioteket i Sydby lod borgerne bestemme, "
    "hvordan 200.000 kroner skulle bruges. Over tre aftener stemte 400 borgere.",
    "bikes.txt": "Repair cafe for bicycles\n\nA monthly repair cafe lets residents fix their "
    "bicycles with help from volunteers. Spare parts come from abandoned bikes.",
}
FERRY = (
    "Ferry timetable co-designed with islanders\n\nIslanders and the ferry company redesigned "
    "the winter timetable together in three workshops in the harbour."
)


@pytest.fixture
def two_segments(tmp_path: Path, embedder) -> tuple[Path, Path]:
    """An index of three files, then one more appended: two segments."""
    files = tmp_path / "files"
    files.mkdir()
    for name, text in DOCS.items():
        (files / name).write_text(text, encoding="utf-8")
    data_dir = tmp_path / "data"
    update_index([files], data_dir, embedder, options=UpdateOptions(sentences=False))
    (files / "ferry.txt").write_text(FERRY, encoding="utf-8")
    report = update_index([files], data_dir, embedder, options=UpdateOptions(sentences=False))
    assert report.build.mode == "append" and report.build.segments == 2
    return files, data_dir


def _answers(searcher: Searcher) -> list[list[tuple[str, float]]]:
    out = []
    for q in ("ferry timetable", "vegetable garden", "borgerbudget", "bicycle repair"):
        results = searcher.search(q, 4, highlight=False).results
        out.append([(r.case_id, round(r.score, 4)) for r in results])
    return out


@pytest.mark.parametrize("damage", [_truncate, _flip], ids=["truncated", "flipped"])
def test_index_repairs_a_damaged_segment_and_keeps_the_intact_one(
    two_segments: tuple[Path, Path], embedder, damage: Callable[[Path], None]
) -> None:
    files, data_dir = two_segments
    before = _answers(Searcher.load(data_dir, embedder))
    folder = index_dir(data_dir)
    first, second = Manifest.load(folder).segments
    intact_inode = (folder / first.name / "vectors.npy").stat().st_ino
    damage(folder / second.name / "vectors.npy")
    with pytest.raises(IndexDamagedError):
        Searcher.load(data_dir, embedder)

    report = update_index([files], data_dir, embedder, options=UpdateOptions(sentences=False))
    assert report.build.mode != "unchanged"
    assert any(second.name in note and "vectors.npy" in note for note in report.build.repaired)
    assert report.build.embedded == second.chunks  # only the damaged segment's chunks
    assert (folder / first.name / "vectors.npy").stat().st_ino == intact_inode  # linked, kept
    assert _answers(Searcher.load(data_dir, embedder)) == before

    again = update_index([files], data_dir, embedder, options=UpdateOptions(sentences=False))
    assert again.build.mode == "unchanged" and not again.build.repaired


def test_index_rebuilds_after_a_damaged_manifest_and_says_so(
    two_segments: tuple[Path, Path], embedder
) -> None:
    files, data_dir = two_segments
    before = _answers(Searcher.load(data_dir, embedder))
    _truncate(index_dir(data_dir) / MANIFEST)
    report = update_index([files], data_dir, embedder, options=UpdateOptions(sentences=False))
    assert report.build.mode == "full"
    assert any("manifest.json" in note for note in report.build.repaired)
    assert _answers(Searcher.load(data_dir, embedder)) == before


def test_the_index_command_names_what_it_repaired(
    two_segments: tuple[Path, Path], model_dir: Path
) -> None:
    files, data_dir = two_segments
    (data_dir / "models").symlink_to(model_dir / "models")
    folder = index_dir(data_dir)
    second = Manifest.load(folder).segments[1]
    _truncate(folder / second.name / "vectors.npy")
    out = subprocess.run(
        [sys.executable, "-m", "casesearch.cli.main", "index", str(files), "--no-sentences",
         "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=300, cwd=REPO, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "repaired" in out.stderr and second.name in out.stderr
    assert "unchanged" not in out.stdout


def test_build_index_alone_also_repairs(two_segments: tuple[Path, Path], embedder) -> None:
    _, data_dir = two_segments
    folder = index_dir(data_dir)
    second = Manifest.load(folder).segments[1]
    _garbage(folder / second.name / "chunks.json")
    store = load_store(data_dir)
    assert store is not None
    report = build_index(store.cases, data_dir, embedder)
    assert report.repaired and report.embedded == second.chunks
    assert Searcher.load(data_dir, embedder).search("ferry timetable", 1).results
