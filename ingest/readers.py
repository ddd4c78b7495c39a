"""From a file on disk to the cases in it, whatever its format.

Each format is read into text and, where the format marks structure (HTML headings, Word
heading styles), blocks. Then every file goes the same way: a filled-in form becomes one
case with its labels as sections; a list page is split into its cases; anything else is
one case. Files that cannot be read raise :class:`Skip` with a reason for the report.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from casesearch.ingest.blocks import Block, normalize_spaces, text_to_blocks
from casesearch.ingest.boilerplate import remove_chrome
from casesearch.ingest.decoding import NotText, decode_bytes
from casesearch.ingest.dedup import noise_score
from casesearch.ingest.draft import Draft, Part
from casesearch.ingest.listing import split_list
from casesearch.ingest.markup import has_markup, html_to_blocks, strip_markup
from casesearch.ingest.options import IngestOptions
from casesearch.ingest.structure import single_case
from casesearch.ingest.tabular import TableError, rows_to_drafts
from casesearch.ingest.templates import parse_form

TEXT_SUFFIXES = (".txt", ".text")
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
TABLE_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv")
SUPPORTED = (*TEXT_SUFFIXES, *MARKDOWN_SUFFIXES, *HTML_SUFFIXES, *TABLE_SUFFIXES, ".pdf", ".docx")


_FOLDER_DOCS = re.compile(r"^(readme|license|licence|changelog|copying)(\.[a-z0-9]+)?$", re.I)


class Skip(Exception):
    """The file yields no cases; ``str(exc)`` is the reason shown in the report."""


@dataclass
class FileCases:
    """What one file gave.

    Attributes:
        drafts: its cases.
        noise: how messy its text was (the cleaner copy of a duplicate is kept).
        kind: ``"single"`` (one case), ``"list"`` (a page of short cases, which share the
            page's language when too short to tell) or ``"table"`` (one case per row).
    """

    drafts: list[Draft]
    noise: float
    kind: str


def _humanize(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or stem


def _decode(data: bytes) -> str:
    try:
        return decode_bytes(data)
    except NotText as exc:
        raise Skip(f"not a text file ({exc})") from exc


def _markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for group in re.split(r"\n\s*\n", text):
        heading = re.match(r"^(#{1,6})\s+(.+?)\s*#*\s*$", group.strip())
        if heading and "\n" not in group.strip():
            blocks.append(Block("heading", normalize_spaces(heading[2]), level=len(heading[1])))
            continue
        clean = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", group)
        clean = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", clean)
        clean = re.sub(r"(\*\*|__|`)", "", clean)
        clean = re.sub(r"(?m)^\s*>\s?", "", clean)
        blocks.extend(text_to_blocks(clean))
    return blocks


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:
                raise Skip("encrypted PDF (cannot decrypt)") from exc
            if not ok:
                raise Skip("encrypted PDF (password required)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except Skip:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
        RecursionError,
        AssertionError,
        ZeroDivisionError,
    ) as exc:
        raise Skip(f"corrupt PDF ({type(exc).__name__}: {str(exc)[:80]})") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise Skip("PDF has no extractable text (scanned images?)")
    return text


def _docx_content(data: bytes) -> tuple[str, list[Block]]:
    """Text (table rows as ``label<TAB>value`` for form matching) and blocks of a .docx."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise Skip(f"corrupt Word document ({type(exc).__name__})") from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and friends
        raise Skip(f"corrupt Word document ({type(exc).__name__})") from exc
    lines: list[str] = []
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = normalize_spaces(item.text)
            if not text:
                lines.append("")
                continue
            style = (item.style.name if item.style is not None else "") or ""
            level = re.match(r"(?:Heading|Overskrift)\s*(\d)", style)
            if style == "Title" or level:
                blocks.append(Block("heading", text, level=int(level[1]) if level else 1))
            elif "List" in style:
                blocks.append(Block("item", text))
            else:
                blocks.append(Block("para", text))
            lines.extend([text, ""])
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = "\n".join(normalize_spaces(p.text) for p in cell.paragraphs)
                    if value.strip() and (not cells or cells[-1] != value):
                        cells.append(value.strip())
                if cells:
                    lines.extend(["\t".join(cells), ""])
                    blocks.append(Block("para", ": ".join(c.replace("\n", " ") for c in cells)))
    return "\n".join(lines), blocks


def cases_from_document(
    text: str,
    blocks: list[Block] | None,
    *,
    stem: str,
    options: IngestOptions,
    title_hint: str | None = None,
    url: str | None = None,
) -> tuple[list[Draft], bool]:
    """The cases in a document's text: a form, a list of cases, or one case.

    Returns:
        ``(drafts, multi)``: ``multi`` is true for a list page split into its items.
    """
    form = parse_form(text)
    if form is not None:
        parts = [Part(title, body) for title, body in form.sections]
        fields = {"template": form.template, **form.fields}
        return [Draft(title=form.title, parts=parts, url=url, fields=fields)], False
    if blocks is None:
        blocks = text_to_blocks(text)
    blocks, fields, first_menu_at = remove_chrome(blocks)
    if options.split_lists:
        items = split_list(blocks, first_menu_at, options.min_list_items)
        if items:
            return items, True
    draft = single_case(blocks, _humanize(stem), title_hint)
    draft.fields = {**fields, **draft.fields}
    draft.url = url
    return [draft], False


def read_cases(path: Path, data: bytes, options: IngestOptions) -> FileCases:
    """The cases in one file's bytes.

    Raises:
        Skip: unknown format, undecodable or corrupt file, or no case text in it.
    """
    suffix = path.suffix.lower()
    if _FOLDER_DOCS.match(path.name):
        raise Skip("folder documentation (README/LICENSE), not a case")
    if suffix not in SUPPORTED:
        raise Skip(f"unsupported file type '{suffix or '(none)'}'")
    if not data.strip():
        raise Skip("empty file")
    stem = path.stem
    multi = False
    if suffix in TABLE_SUFFIXES:
        text = _decode(data)
        try:
            drafts = rows_to_drafts(text, suffix, options.columns)
        except TableError as exc:
            raise Skip(str(exc)) from exc
        return FileCases(drafts, 0.0, kind="table")
    if suffix == ".pdf":
        text = _pdf_text(data)
        drafts, multi = cases_from_document(text, None, stem=stem, options=options)
    elif suffix == ".docx":
        text, blocks = _docx_content(data)
        drafts, multi = cases_from_document(text, blocks, stem=stem, options=options)
    elif suffix in HTML_SUFFIXES:
        text = _decode(data)
        blocks, title, url = html_to_blocks(text)
        flat = "\n\n".join(b.text for b in blocks)
        drafts, multi = cases_from_document(
            flat, blocks, stem=stem, options=options, title_hint=title, url=url
        )
    else:
        text = _decode(data)
        if has_markup(text):
            text = strip_markup(text)
        if suffix in MARKDOWN_SUFFIXES:
            drafts, multi = cases_from_document(
                text, _markdown_blocks(text), stem=stem, options=options
            )
        else:
            drafts, multi = cases_from_document(text, None, stem=stem, options=options)
    drafts = [d for d in drafts if d.has_text()]
    if not drafts:
        raise Skip("no case text found")
    return FileCases(drafts, noise_score(text), kind="list" if multi else "single")
