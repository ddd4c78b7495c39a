"""Every supported format and text encoding turns into clean cases."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pytest

from casesearch.ingest.pipeline import ingest_paths
from casesearch.ingest.store import Store, load_store

DANISH = (
    "Borgerne i Ørestad har sammen med kommunen udviklet en ny grøn plads. "
    "Processen begyndte med åbne værksteder, hvor beboerne tegnede forslag til pladsen. "
    "Efter et år blev pladsen indviet med en fælles fest for hele bydelen, og den bruges nu "
    "hver dag af børnefamilier, ældre og unge fra de omkringliggende boligområder."
)
ENGLISH = (
    "Residents of the neighbourhood worked with the city to redesign the old market square. "
    "Open workshops were held every month, and the final plan was voted on by everyone "
    "living in the district. The square reopened after one year and is now used daily."
)


def pdf_with_text(lines: list[str], lines_per_page: int = 0) -> bytes:
    """A minimal PDF with the lines in Helvetica (WinAnsi, so Danish letters work): one page,
    or pages of ``lines_per_page`` lines."""

    def esc(s: str) -> bytes:
        raw = s.encode("cp1252", "replace")
        return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    step = lines_per_page or max(1, len(lines))
    pages = [lines[i : i + step] for i in range(0, max(1, len(lines)), step)]
    font = 3 + 2 * len(pages)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for i, page in enumerate(pages):
        ops = [b"BT /F1 11 Tf 14 TL 50 780 Td"] + [b"(" + esc(x) + b") Tj T*" for x in page]
        stream = b"\n".join([*ops, b"ET"])
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objs.append(
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
        )
    objs.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def ingest_one(tmp_path: Path, name: str, content: bytes) -> tuple[dict, Store]:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(content)
    report = ingest_paths([folder], tmp_path / "data")
    store = load_store(tmp_path / "data")
    assert store is not None
    return report.to_dict(), store


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")]
)
def test_text_encodings_keep_danish_letters(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = f"Grøn plads i Ørestad\n\n{DANISH}\n"
    report, store = ingest_one(tmp_path, "case.txt", prefix + text.encode(encoding))
    assert report["cases"] == 1
    case = store.cases[0]
    assert case.title == "Grøn plads i Ørestad"
    assert "Ørestad" in case.text and "værksteder" in case.text and "åbne" in case.text
    assert "\ufeff" not in case.text and "Ã" not in case.text
    assert case.lang == "da"


def test_html_page_drops_chrome_and_scripts(tmp_path: Path) -> None:
    html = f"""<!doctype html><html><head><title>Site | Market square</title>
    <link rel="canonical" href="https://example.org/cases/square">
    <script>var tracking = "<b>x</b>";</script><style>p {{ color: red }}</style></head>
    <body><header><nav><ul><li>Home</li><li>Cases</li></ul></nav></header>
    <main><h1>Market square redesign</h1><p>{ENGLISH}</p>
    <h2>Lessons learned</h2><ul><li>Start early with residents.</li>
    <li>Keep the workshops open to everyone.</li></ul>
    <p>Inline <script>alert("x")</script> text &amp; more.</p></main>
    <footer>Copyright, cookie settings</footer></body></html>"""
    report, store = ingest_one(tmp_path, "page.html", html.encode())
    assert report["cases"] == 1
    case = store.cases[0]
    assert case.title == "Market square redesign"
    assert case.url == "https://example.org/cases/square"
    assert [s.title for s in case.sections] == ["Lessons learned"]
    assert "Start early with residents." in case.text
    for junk in ("<script", "alert", "tracking", "color: red", "Copyright", "Home"):
        assert junk not in case.text
    assert "text & more." in case.text
    assert case.lang == "en"


def test_script_tags_in_plain_text_never_survive(tmp_path: Path) -> None:
    text = f"Market square\n\n<p>{ENGLISH}</p>\n<script>alert('x')</script>\n"
    _, store = ingest_one(tmp_path, "case.txt", text.encode())
    case = store.cases[0]
    assert "<" not in case.text and "alert" not in case.text


def test_markdown_headings_become_sections(tmp_path: Path) -> None:
    md = (
        f"# Market square\n\n{ENGLISH}\n\n## Results\n\nThe **square** is used [daily](http://x).\n"
    )
    _, store = ingest_one(tmp_path, "case.md", md.encode())
    case = store.cases[0]
    assert case.title == "Market square"
    assert [s.title for s in case.sections] == ["Results"]
    assert "The square is used daily." in case.text


def test_pdf_text_is_read(tmp_path: Path) -> None:
    lines = ["Grøn plads i Ørestad", *[s.strip() + "." for s in DANISH.split(".") if s.strip()]]
    report, store = ingest_one(tmp_path, "case.pdf", pdf_with_text(lines))
    assert report["cases"] == 1, report
    case = store.cases[0]
    assert case.title == "Grøn plads i Ørestad"
    assert "værksteder" in case.text
    assert case.lang == "da"


def test_docx_headings_and_form_table(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Market square redesign", level=1)
    document.add_paragraph(ENGLISH)
    document.add_heading("Results", level=2)
    document.add_paragraph("The square reopened and is used every day by families.")
    buffer = io.BytesIO()
    document.save(buffer)
    _, store = ingest_one(tmp_path, "case.docx", buffer.getvalue())
    case = store.cases[0]
    assert case.title == "Market square redesign"
    assert [s.title for s in case.sections] == ["Results"]
    assert case.lang == "en"


def test_jsonl_and_csv_rows_become_cases(tmp_path: Path) -> None:
    rows = [
        {"id": "a1", "title": "Market square", "text": ENGLISH, "url": "https://x/a"},
        {"id": "a2", "title": "Grøn plads", "text": DANISH, "lang": "da"},
        {"id": "a3", "title": "No text"},
    ]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    report, store = ingest_one(tmp_path, "export.jsonl", body)
    assert report["cases"] == 2
    square = next(c for c in store.cases if c.title == "Market square")
    assert square.url == "https://x/a" and square.lang == "en"
    assert square.collection == "export"
    csv_text = f'name;body\n"Grøn plads";"{DANISH}"\n'
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "export.csv").write_text(csv_text, encoding="utf-8")
    from casesearch.ingest.options import IngestOptions

    options = IngestOptions().with_columns({"title": "name", "text": "body"})
    report2 = ingest_paths([folder], tmp_path / "data2", options=options)
    assert report2.to_dict()["cases"] == 1
    store2 = load_store(tmp_path / "data2")
    assert store2 is not None and store2.cases[0].title == "Grøn plads"


def test_mixed_language_case_tags_chunks_by_section(tmp_path: Path) -> None:
    text = f"Market square\n\n{ENGLISH} {ENGLISH}\n\nResumé på dansk\n\n{DANISH} {DANISH}\n"
    _, store = ingest_one(tmp_path, "case.txt", text.encode())
    case = store.cases[0]
    langs = {c.section: c.lang for c in case.chunks}
    assert langs[None] == "en"
    assert langs["Resumé på dansk"] == "da"


def test_short_text_language_is_unknown(tmp_path: Path) -> None:
    _, store = ingest_one(tmp_path, "note.txt", b"Ok\n\nJa tak.\n")
    assert store.cases[0].lang == "unknown"
