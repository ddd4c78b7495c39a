"""Whatever files a folder holds, ingest neither crashes nor loses track of any of them.

Arbitrary bytes under arbitrary names (any bytes a Linux file name may hold, so also names
that are not UTF-8) and extensions, in arbitrarily nested folders, including hidden ones;
contents from plain bytes to nested markup, Word and PDF files, broken ones among them.
Every file must end up as the source of a case or in the report's ``skipped`` list with a
reason, the store must write and read back, and a re-run must find nothing changed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ingest_formats import pdf_with_text

from casesearch.ingest.markup import html_to_blocks, looks_like_markup, strip_markup
from casesearch.ingest.paths import key_of_path
from casesearch.ingest.pipeline import ingest_paths
from casesearch.ingest.store import load_store, store_path

SUFFIXES = [
    ".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".jsonl", ".csv", ".json",
    ".TXT", ".Html", ".xyz", "",
]  # fmt: skip
SCRIPT_MARK = "zqxscriptbody"
PROSE = "abc æøå ÆØÅ .,:;!?-–\t\n <>&/"
# Text between tags has no "<" of its own: "<b<script>" is one odd tag to a browser, not a
# script, so its content is page text there too.
MARKUP_TEXT = "abc æøå ÆØÅ .,:;!?-–\t\n >&/"
TAGS = [
    "div", "p", "span", "li", "ul", "ol", "h1", "h2", "table", "tr", "td", "b", "a", "br",
    "main", "article", "section", "nav", "header", "footer", "form", "head", "title", "body",
    "blockquote", "pre", "textarea", "svg", "noscript", "template",
]  # fmt: skip
ATTRIBUTES = ["", ' class="menu"', ' class="content"', ' id="x"', ' role="navigation"']


def _docx_seed() -> bytes:
    document = docx.Document()
    document.add_heading("Borgermøde om havnen", level=1)
    document.add_paragraph("Fyrre borgere mødte op og talte om færgen og havnebadet.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Country/region", "Danmark"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


DOCX = _docx_seed()
PDF = pdf_with_text(["Grøn plads i Ørestad", "Beboerne tegnede forslag til pladsen."])


def _damaged(seed: bytes) -> st.SearchStrategy[bytes]:
    """The seed as is, cut short, or with bytes overwritten."""

    def damage(cut: int, flips: list[tuple[int, int]]) -> bytes:
        data = bytearray(seed[: max(1, cut)])
        for where, value in flips:
            data[where % len(data)] = value
        return bytes(data)

    return st.one_of(
        st.just(seed),
        st.builds(
            damage,
            st.integers(1, len(seed)),
            st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8),
        ),
    )


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, attrs, kids, closed: (
            f"<{tag}{attrs}>{''.join(kids)}" + (f"</{tag}>" if closed else "")
        ),
        st.sampled_from(TAGS),
        st.sampled_from(ATTRIBUTES),
        st.lists(children, max_size=4),
        st.booleans(),
    )


SCRIPTS = (
    f"<script>var x = '{SCRIPT_MARK}';</script>",
    f"<style>p {{ content: '{SCRIPT_MARK}' }}</style>",
)
leaves = st.one_of(
    st.text(alphabet=MARKUP_TEXT, max_size=20),
    st.sampled_from(SCRIPTS),
    st.sampled_from(["<!-- note -->", "&amp;", "&lt;b&gt;", "<br>", "<script>", " < b ", "<!--"]),
)
documents = st.lists(st.recursive(leaves, _element, max_leaves=30), min_size=1, max_size=4).map(
    "".join
)


def _rows(values: list[tuple[str, str]], suffix: str) -> bytes:
    if suffix == ".csv":
        lines = ["title;text"] + [f'"{t}";"{b}"' for t, b in values]
        return "\n".join(lines).encode("utf-8", "surrogatepass")
    rows = [{"title": t, "text": b} for t, b in values]
    if suffix == ".json":
        return json.dumps(rows).encode("utf-8")
    return "\n".join(json.dumps(r) for r in rows).encode("utf-8")


# Cells may hold lone surrogates, which JSON can carry as "\\udXXX" escapes.
cells = st.one_of(st.text(max_size=100), st.sampled_from(["Havn \ud83d", "caf\udce9", "\udfff"]))
contents = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400).map(lambda s: s.encode("utf-8")),
    st.text(alphabet=PROSE, max_size=300).map(lambda s: s.encode("cp1252")),
    st.tuples(st.text(alphabet=PROSE, max_size=80), st.text(alphabet=PROSE, max_size=80)).map(
        lambda pair: pair[0].encode("utf-8") + b"\n" + pair[1].encode("cp1252")
    ),
    documents.map(lambda doc: doc.encode("utf-8")),
    _damaged(DOCX),
    _damaged(PDF),
    st.builds(
        _rows,
        st.lists(st.tuples(cells, cells), max_size=4),
        st.sampled_from([".csv", ".json", ".jsonl"]),
    ),
)
# File and folder names: any bytes but "/" and NUL (and not "." or "..").
names = st.binary(min_size=1, max_size=10).filter(
    lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b"..")
)
entries = st.lists(
    st.tuples(st.lists(names, max_size=3), names, st.sampled_from(SUFFIXES), contents),
    min_size=1,
    max_size=6,
)


def _write(root: Path, entries: list[tuple[list[bytes], bytes, str, bytes]]) -> dict[Path, bytes]:
    """Write what can be written (a name already taken by a folder or file is left out)."""
    written: dict[Path, bytes] = {}
    raw_root = os.fsencode(root)
    for folders, stem, suffix, data in entries:
        raw_dir = b"/".join([raw_root, *folders])
        raw = raw_dir + b"/" + stem + suffix.encode()
        try:
            os.makedirs(raw_dir, exist_ok=True)
            if os.path.lexists(raw):
                continue
            with open(raw, "wb") as fh:
                fh.write(data)
        except OSError:  # a folder name taken by a file, or the other way round
            continue
        written[Path(os.fsdecode(raw))] = data
    return written


def _without_scripts(data: bytes) -> bytes:
    for script in SCRIPTS:
        data = data.replace(script.encode(), b"")
    return data


def _hidden_folder(path: Path, root: Path) -> Path | None:
    """The outermost hidden folder between ``root`` and ``path``, if any."""
    here = root
    for part in path.relative_to(root).parts[:-1]:
        here = here / part
        if part.startswith("."):
            return here
    return None


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(entries=entries)
def test_any_files_in_any_folders_are_read_or_skipped_with_a_reason(
    entries: list[tuple[list[bytes], bytes, str, bytes]],
) -> None:
    work = Path(tempfile.mkdtemp())
    try:
        root = work / "in"
        root.mkdir()
        written = _write(root, entries)
        # Files whose script mark stands in script or style elements only (a mark in plain
        # text is text); in a page, <textarea> and <title> hold text, see the markup test.
        in_scripts_only = {
            key_of_path(path)
            for path, data in written.items()
            if SCRIPT_MARK.encode() not in _without_scripts(data)
        }
        data_dir = work / "data"
        report = ingest_paths([root], data_dir).to_dict()
        store_path(data_dir).read_bytes().decode("utf-8")  # valid UTF-8 JSON
        json.dumps(report, ensure_ascii=False).encode("utf-8")  # printable
        store = load_store(data_dir)
        assert store is not None
        skipped = {s["path"]: s["reason"] for s in report["skipped"]}
        assert all(skipped.values())
        visible = [p for p in written if _hidden_folder(p, root) is None]
        assert report["files"] == len(visible)
        for path in written:
            hidden = _hidden_folder(path, root)
            if hidden is not None:
                assert key_of_path(hidden) in skipped
                continue
            key = key_of_path(path)
            record = store.sources[key]
            if record.status == "ok":
                assert record.case_ids and key not in skipped
            else:
                assert record.reason and skipped.get(key) == record.reason
        ids = {c.id for c in store.cases}
        assert len(ids) == len(store.cases)
        for case in store.cases:
            assert case.text.strip() and case.chunks
            case.text.encode("utf-8")
            if case.source in in_scripts_only and case.source.lower().endswith((".txt", ".md")):
                assert SCRIPT_MARK not in case.text
            for chunk in case.chunks:
                assert 0 <= chunk.start < chunk.end <= len(case.text)
        # Nothing changed: a second run reads nothing and reports the same.
        assert ingest_paths([root], data_dir).to_dict() == report
    finally:
        shutil.rmtree(work)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(doc=documents, wrap=st.booleans())
def test_markup_never_leaks_script_content_and_keeps_its_words(doc: str, wrap: bool) -> None:
    if wrap:
        doc = f"<!doctype html><html><head><title>T</title></head><body>{doc}</body></html>"
    blocks, _, _ = html_to_blocks(doc)
    page = "\n".join(b.text for b in blocks)
    # In a page, <title> and <textarea> hold text, even text that looks like a script.
    if "<textarea" not in doc and "<title" not in doc.replace("<title>T</title>", ""):
        assert SCRIPT_MARK not in page
    if looks_like_markup(doc):
        text = strip_markup(doc)
        assert SCRIPT_MARK not in text
        assert "<div" not in text and "</p>" not in text and "<span" not in text
