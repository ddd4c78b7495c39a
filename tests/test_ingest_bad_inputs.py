"""Bad files are skipped with a reason; the good files next to them are still ingested."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pypdf import PdfWriter

from casesearch.ingest.pipeline import ingest_paths
from casesearch.ingest.store import load_store

GOOD = (
    "Market square\n\nResidents of the neighbourhood worked with the city to redesign the old "
    "market square. Open workshops were held every month for a whole year.\n"
)


def run(folder: Path, data_dir: Path) -> dict[str, str]:
    report = ingest_paths([folder], data_dir).to_dict()
    store = load_store(data_dir)
    assert store is not None
    assert report["cases"] >= 1, "the good file must still be ingested"
    # Every input file is either a source of cases or skipped with a reason.
    for path in folder.rglob("*"):
        if path.is_file() or path.is_symlink():
            record = store.sources[str(path)]
            assert (record.status == "ok" and record.case_ids) or (
                record.status == "skipped" and record.reason
            )
    return {Path(s["path"]).name: s["reason"] for s in report["skipped"]}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    return folder


def test_empty_file(folder: Path, tmp_path: Path) -> None:
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_bytes(b"  \n\n \t\n")
    skipped = run(folder, tmp_path / "data")
    assert skipped["empty.txt"] == "empty file"
    assert skipped["blank.md"] == "empty file"


def test_binary_file_named_txt(folder: Path, tmp_path: Path) -> None:
    (folder / "image.txt").write_bytes(bytes(range(256)) * 40)
    skipped = run(folder, tmp_path / "data")
    assert skipped["image.txt"].startswith("not a text file")


def test_corrupt_and_encrypted_pdf(folder: Path, tmp_path: Path) -> None:
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage")
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    (folder / "locked.pdf").write_bytes(buffer.getvalue())
    skipped = run(folder, tmp_path / "data")
    assert "PDF" in skipped["corrupt.pdf"]
    assert skipped["locked.pdf"].startswith("encrypted PDF")


def test_file_over_size_limit(folder: Path, tmp_path: Path) -> None:
    big = folder / "huge.txt"
    with open(big, "wb") as fh:  # sparse: 50 MiB on paper, nothing on disk
        fh.truncate(50 * 1024 * 1024)
    skipped = run(folder, tmp_path / "data")
    assert skipped["huge.txt"] == "too large (52.4 MB > 20 MB limit)"


def test_unknown_extension_and_readme(folder: Path, tmp_path: Path) -> None:
    (folder / "photo.jpeg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    (folder / "README.md").write_text("# About this folder\n\nNotes.\n", encoding="utf-8")
    skipped = run(folder, tmp_path / "data")
    assert skipped["photo.jpeg"] == "unsupported file type '.jpeg'"
    assert "README" in skipped["README.md"]


def test_broken_link_is_unreadable(folder: Path, tmp_path: Path) -> None:
    (folder / "gone.txt").symlink_to(tmp_path / "does-not-exist.txt")
    skipped = run(folder, tmp_path / "data")
    assert skipped["gone.txt"].startswith("cannot read")


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads files whatever their permissions; covered by the broken-link test",
)
def test_file_without_read_permission(folder: Path, tmp_path: Path) -> None:
    locked = folder / "locked.txt"
    locked.write_text(GOOD, encoding="utf-8")
    locked.chmod(0)
    try:
        skipped = run(folder, tmp_path / "data")
    finally:
        locked.chmod(0o644)
    assert skipped["locked.txt"] == "cannot read: permission denied"


def test_missing_path_and_nothing_ingested(tmp_path: Path) -> None:
    report = ingest_paths([tmp_path / "nowhere"], tmp_path / "data")
    assert not report.ingested_anything
    assert report.to_dict()["skipped"] == [
        {"path": str(tmp_path / "nowhere"), "reason": "not found"}
    ]
