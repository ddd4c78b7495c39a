"""Files built to stall, exhaust or confuse ingest: each is read or skipped with a reason.

Every test puts a good file next to the hostile one, because the promise is twofold: the
hostile file costs a bounded amount of time and memory, and nothing else is lost.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import docx
import pytest

from casesearch.ingest.options import IngestOptions
from casesearch.ingest.pipeline import ingest_paths
from casesearch.ingest.store import load_store, store_path

GOOD = (
    "Market square\n\nResidents of the neighbourhood worked with the city to redesign the old "
    "market square. Open workshops were held every month for a whole year.\n"
)
DANISH = (
    "Borgerne i Ørestad har sammen med kommunen udviklet en ny grøn plads. Processen begyndte "
    "med åbne værksteder, hvor beboerne tegnede forslag til pladsen og stemte om dem."
)
HARBOUR = (
    "Harbour bath\n\nSwimmers, sailors and the harbour office planned a public bath together. "
    "The first season drew thousands of visitors, and a volunteer group now runs it.\n"
)
TOWN = (
    "Town square\n\nShop owners and neighbours chose new trees, benches and lighting for the "
    "square in three evening meetings; the council paid for what they agreed on.\n"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    return folder


def ingest_in_child(folder: Path, data_dir: Path, timeout: float) -> dict:
    """Ingest in a separate process, so a run that never ends fails the test instead."""
    code = (
        "import json, sys; from pathlib import Path;"
        "from casesearch.ingest.pipeline import ingest_paths;"
        "r = ingest_paths([Path(sys.argv[1])], Path(sys.argv[2]));"
        "print(json.dumps(r.to_dict()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(data_dir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(done.stdout)


def skipped_by_name(report: dict) -> dict[str, str]:
    return {Path(s["path"]).name: s["reason"] for s in report["skipped"]}


def good_case_is_stored(data_dir: Path) -> None:
    store = load_store(data_dir)
    assert store is not None
    assert any(c.title == "Market square" for c in store.cases), "the good file was lost"


# --------------------------------------------------------------- deep nesting, budgets
def nested(depth: int, text: str) -> str:
    return "<div>" * depth + text + "</div>" * depth


def test_deeply_nested_markup_is_read_not_stalled(folder: Path, tmp_path: Path) -> None:
    # 100,000 nested <div>: 1.1 MB that used to take well over ten minutes per file.
    page = nested(100_000, "<p>Borgermøde om havnen i Ærøskøbing med fyrre deltagere.</p>")
    (folder / "deep.html").write_text(page, encoding="utf-8")
    (folder / "deep.txt").write_text("Deep export\n\n" + page, encoding="utf-8")
    report = ingest_in_child(folder, tmp_path / "data", timeout=300)
    assert report["skipped"] == []
    store = load_store(tmp_path / "data")
    assert store is not None
    for name in ("deep.html", "deep.txt"):
        record = store.sources[str(folder / name)]
        texts = [c.text for c in store.cases if c.id in record.case_ids]
        assert any("Borgermøde om havnen" in t for t in texts), name
        assert all("<div" not in t for t in texts)
    good_case_is_stored(tmp_path / "data")


def slow_page(paragraphs: int) -> str:
    body = "".join(
        f"<div class='c{i}'><p>Paragraph {i} about the harbour bath and its users.</p></div>"
        for i in range(paragraphs)
    )
    return f"<html><body><main>{body}</main></body></html>"


def test_file_over_time_budget_is_skipped_and_the_run_goes_on(folder: Path, tmp_path: Path) -> None:
    (folder / "a-first.txt").write_text(HARBOUR, "utf-8")
    (folder / "slow.html").write_text(slow_page(80_000), encoding="utf-8")
    options = IngestOptions(file_seconds=1, file_seconds_per_mb=0)
    report = ingest_paths([folder], tmp_path / "data", options=options).to_dict()
    skipped = skipped_by_name(report)
    assert set(skipped) == {"slow.html"}
    assert "time budget" in skipped["slow.html"] and "(1 s per file)" in skipped["slow.html"]
    store = load_store(tmp_path / "data")
    assert store is not None
    assert {c.title for c in store.cases} == {"Market square", "Harbour bath"}


def test_file_over_memory_budget_is_skipped_and_the_run_goes_on(
    folder: Path, tmp_path: Path
) -> None:
    (folder / "big.html").write_text(slow_page(40_000), encoding="utf-8")
    options = IngestOptions(file_memory_mb=40)
    report = ingest_paths([folder], tmp_path / "data", options=options).to_dict()
    skipped = skipped_by_name(report)
    assert set(skipped) == {"big.html"}
    assert "memory budget" in skipped["big.html"] and "40 MB" in skipped["big.html"]
    good_case_is_stored(tmp_path / "data")


def test_over_budget_file_is_not_read_again_until_it_or_the_budget_changes(
    folder: Path, tmp_path: Path
) -> None:
    from casesearch.ingest import isolation

    (folder / "slow.html").write_text(slow_page(40_000), encoding="utf-8")
    tight = IngestOptions(file_seconds=1, file_seconds_per_mb=0)
    data = tmp_path / "data"
    first = ingest_paths([folder], data, options=tight).to_dict()
    before = isolation.files_read()
    assert ingest_paths([folder], data, options=tight).to_dict() == first
    assert isolation.files_read() == before, "an unchanged over-budget file was read again"
    # A larger budget gives it another chance; the good file is not read again.
    report = ingest_paths([folder], data, options=IngestOptions(file_seconds=300)).to_dict()
    assert isolation.files_read() == before + 1
    assert report["skipped"] == [] and report["cases"] == 2


# ------------------------------------------------------------------------ zip bombs
def docx_bytes(text: str, title: str = "Market square redesign") -> bytes:
    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bomb_docx(inflated_mb: int) -> bytes:
    """A real .docx whose word/document.xml inflates to ``inflated_mb`` MB of text."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>"
    )
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    block = b"A" * (1 << 20)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(head)
    parts = [squeeze.compress(head)]
    for _ in range(inflated_mb):
        parts.append(squeeze.compress(block))
        crc = zlib.crc32(block, crc)
    parts.append(squeeze.compress(tail))
    parts.append(squeeze.flush())
    crc = zlib.crc32(tail, crc)
    deflated = b"".join(parts)
    size = len(head) + inflated_mb * len(block) + len(tail)
    source = zipfile.ZipFile(io.BytesIO(docx_bytes("placeholder")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                target.writestr(item, source.read(item.filename))
        # Write the pre-deflated member by hand: headers, then the stream as is.
        info = zipfile.ZipInfo("word/document.xml", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.CRC, info.compress_size, info.file_size = crc, len(deflated), size
        info.header_offset = target.fp.tell()
        target.fp.write(info.FileHeader(zip64=size > 0xFFFFFFFF))
        target.fp.write(deflated)
        target.start_dir = target.fp.tell()
        target.filelist.append(info)
        target.NameToInfo[info.filename] = info
    return out.getvalue()


def test_docx_zip_bomb_is_skipped_and_good_files_stay(folder: Path, tmp_path: Path) -> None:
    bomb = bomb_docx(1024)  # 1 GB of text in a few MB
    assert len(bomb) < 3_000_000
    (folder / "bomb.docx").write_bytes(bomb)
    (folder / "fine.docx").write_bytes(docx_bytes(DANISH))
    report = ingest_in_child(folder, tmp_path / "data", timeout=300)
    skipped = skipped_by_name(report)
    assert set(skipped) == {"bomb.docx"}
    assert "unpacked" in skipped["bomb.docx"] and "MB limit" in skipped["bomb.docx"]
    store = load_store(tmp_path / "data")
    assert store is not None
    assert {c.title for c in store.cases} == {"Market square", "Market square redesign"}


def meetings(n: int) -> str:
    return " ".join(f"Mødet nummer {i} handlede om havnen og færgen." for i in range(n))


def test_docx_under_the_unpacked_limit_is_read(folder: Path, tmp_path: Path) -> None:
    (folder / "fine.docx").write_bytes(docx_bytes(DANISH))
    options = IngestOptions(max_unpacked_mb=1)
    report = ingest_paths([folder], tmp_path / "data", options=options).to_dict()
    assert report["skipped"] == [] and report["cases"] == 2
    # python-docx's own template unpacks to 0.83 MB; these add 0.07 and 0.3 MB of text.
    (folder / "big.docx").write_bytes(docx_bytes(meetings(1500), "Meetings"))
    report = ingest_paths([folder], tmp_path / "data", options=options).to_dict()
    assert report["skipped"] == [] and report["cases"] == 3
    (folder / "bigger.docx").write_bytes(docx_bytes(meetings(6000), "More meetings"))
    report = ingest_paths([folder], tmp_path / "data", options=options).to_dict()
    assert "1 MB limit" in skipped_by_name(report)["bigger.docx"]


# ------------------------------------------------------------------- odd file names
def test_file_name_that_is_not_utf8_is_ingested_and_round_trips(
    folder: Path, tmp_path: Path
) -> None:
    raw_folder = os.fsencode(folder)
    with open(raw_folder + b"/caf\xe9 m\xf8de.txt", "wb") as fh:
        fh.write(DANISH.encode("utf-8"))
    os.mkdir(raw_folder + b"/m\xf8der")
    with open(raw_folder + b"/m\xf8der/note.txt", "wb") as fh:
        fh.write(HARBOUR.encode("utf-8"))
    data = tmp_path / "data"
    first = ingest_paths([folder], data).to_dict()
    json.dumps(first, ensure_ascii=False).encode("utf-8")  # the report prints as UTF-8
    assert first["skipped"] == [] and first["files"] == 3 and first["cases"] == 3
    raw = store_path(data).read_bytes()
    raw.decode("utf-8")  # the store file is valid UTF-8 JSON
    store = load_store(data)
    assert store is not None
    odd = [c for c in store.cases if c.title not in ("Market square", "Harbour bath")]
    assert len(odd) == 1
    assert odd[0].title == "Café møde"  # shown readably (stray bytes read as cp1252)
    assert any(c.collection == "møder" for c in store.cases)
    # Every stored source names a file that exists, and a re-run finds nothing changed.
    from casesearch.ingest.paths import path_of_key

    for key in store.sources:
        assert path_of_key(key).is_file(), key
    before = store_path(data).read_bytes()
    assert ingest_paths([folder], data).to_dict() == first
    again = load_store(data)
    assert again is not None and [c.id for c in again.cases] == [c.id for c in store.cases]
    assert {k: v.fingerprint for k, v in again.sources.items()} == {
        k: v.fingerprint for k, v in store.sources.items()
    }
    assert store_path(data).read_bytes() == before


# -------------------------------------------------------------------- folder links
def test_linked_folders_are_followed_once_and_loops_are_reported(
    folder: Path, tmp_path: Path
) -> None:
    real = folder / "real"
    real.mkdir()
    (real / "square.txt").write_text(TOWN, "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "bath.txt").write_text(HARBOUR, "utf-8")
    (folder / "alias").symlink_to(real, target_is_directory=True)
    (folder / "outside").symlink_to(elsewhere, target_is_directory=True)
    (real / "loop").symlink_to(folder, target_is_directory=True)
    report = ingest_paths([folder], tmp_path / "data").to_dict()
    store = load_store(tmp_path / "data")
    assert store is not None
    assert {c.title for c in store.cases} == {"Market square", "Town square", "Harbour bath"}
    bath = next(c for c in store.cases if c.title == "Harbour bath")
    assert bath.source == str(folder / "outside" / "bath.txt")
    skipped = skipped_by_name(report)
    assert set(skipped) == {"alias", "loop"}
    assert str(real) in skipped["alias"]
    assert "loop" in skipped["loop"] or "already" in skipped["loop"]


# ---------------------------------------------------------------- text encodings
def test_mixed_encoding_keeps_utf8_and_reads_the_rest_as_cp1252(
    folder: Path, tmp_path: Path
) -> None:
    data = (
        "Borgermøde på Ærø\n\n".encode()
        + "Vi mødtes i Ærøskøbing, og fyrre borgere deltog i mødet om havnen.\n".encode()
        + "Indsat afsnit: Søndag blev der talt om færgen og økonomien på øen.\n".encode("cp1252")
        + "Næste møde er i maj, på rådhuset.\n".encode()
    )
    (folder / "mixed.txt").write_bytes(data)
    report = ingest_paths([folder], tmp_path / "data").to_dict()
    assert report["skipped"] == []
    store = load_store(tmp_path / "data")
    assert store is not None
    case = next(c for c in store.cases if c.title == "Borgermøde på Ærø")
    for phrase in ("mødtes i Ærøskøbing", "Søndag blev der talt om færgen", "Næste møde"):
        assert phrase in case.text
    assert "Ã" not in case.text
    note = store.sources[str(folder / "mixed.txt")].note or ""
    assert "cp1252" in note and "1 line" in note


def test_plain_cp1252_file_is_unchanged(folder: Path, tmp_path: Path) -> None:
    (folder / "old.txt").write_bytes(("Grøn plads\n\n" + DANISH + "\n").encode("cp1252"))
    ingest_paths([folder], tmp_path / "data")
    store = load_store(tmp_path / "data")
    assert store is not None
    case = next(c for c in store.cases if c.title == "Grøn plads")
    assert "værksteder" in case.text


# ------------------------------------------------------------- tags in plain prose
def test_tags_mentioned_in_prose_are_kept(folder: Path, tmp_path: Path) -> None:
    prose = (
        "Ny hjemmeside\n\n"
        "Vi brugte <script> tags i vores hjemmeside til at vise kortet over byen. "
        "Borgerne kunne selv sætte nåle på kortet og skrive forslag til nye stier.\n\n"
        "Reglen var enkel: når a < b and c > d, så vinder forslaget med flest stemmer.\n"
    )
    (folder / "web.txt").write_text(prose, encoding="utf-8")
    (folder / "web.md").write_text(prose.replace("Ny hjemmeside", "# Ny side"), "utf-8")
    report = ingest_paths([folder], tmp_path / "data").to_dict()
    assert report["skipped"] == []
    store = load_store(tmp_path / "data")
    assert store is not None
    for name in ("web.txt", "web.md"):
        record = store.sources[str(folder / name)]
        text = "\n".join(c.text for c in store.cases if c.id in record.case_ids)
        assert "Vi brugte <script> tags i vores hjemmeside" in text, name
        assert "skrive forslag til nye stier" in text, name
        assert "når a < b and c > d, så vinder" in text, name


def test_real_markup_in_text_export_is_still_stripped(folder: Path, tmp_path: Path) -> None:
    export = (
        "Market hall\n\n<p>The hall was rebuilt with the residents.</p>\n"
        "<script>track('visit')</script>\n<p>Vi brugte <script> tags på siden.</p>\n"
    )
    (folder / "export.txt").write_text(export, encoding="utf-8")
    ingest_paths([folder], tmp_path / "data")
    store = load_store(tmp_path / "data")
    assert store is not None
    case = next(c for c in store.cases if c.title == "Market hall")
    assert "track(" not in case.text and "<p>" not in case.text
    assert "The hall was rebuilt with the residents." in case.text
    assert "tags på siden." in case.text


# ------------------------------------------------------------------- short notes
def test_one_line_note_is_a_case(folder: Path, tmp_path: Path) -> None:
    line = "Borgermøde på Ærø: 40 borgere mødte op og ..."
    (folder / "note.txt").write_text(line + "\n", encoding="utf-8")
    long_line = (
        "Borgermødet på Ærø samlede fyrre borgere. De talte om færgen, havnen og skolen, "
        "og kommunen lovede at svare inden sommerferien"
    )
    (folder / "long-note.txt").write_text(long_line, encoding="utf-8")
    (folder / "blank.txt").write_bytes(b" \n\t\n")
    (folder / "nbsp.md").write_bytes("\u00a0\u2003\n".encode())
    report = ingest_paths([folder], tmp_path / "data").to_dict()
    skipped = skipped_by_name(report)
    assert set(skipped) == {"blank.txt", "nbsp.md"}
    assert skipped["blank.txt"] == "empty file" and skipped["nbsp.md"] == "empty file"
    store = load_store(tmp_path / "data")
    assert store is not None
    note = next(c for c in store.cases if c.source == str(folder / "note.txt"))
    assert note.title == line and note.text == line
    assert note.chunks and note.chunk_text(note.chunks[0]) == line
    # A long line was a case before: its title still comes from the file name.
    long = next(c for c in store.cases if c.source == str(folder / "long-note.txt"))
    assert long.title == "Long note" and long.text == long_line
