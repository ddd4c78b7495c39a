"""From a file on disk to the cases in it, whatever its format.

Each format is read into text and, where the format marks structure (HTML headings, Word
heading styles), blocks. Then every file goes the same way: a filled-in form becomes one
case with its labels as sections; a list page is split into its cases; anything else is
one case, however short. Files that cannot be read raise :class:`Skip` with a reason for the
report; compressed formats are unpacked only within a size limit (:class:`OverLimit`).
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from casesearch.ingest.archive import ArchiveTooLarge, check_zip
from casesearch.ingest.blocks import Block, normalize_spaces, text_to_blocks
from casesearch.ingest.boilerplate import remove_chrome
from casesearch.ingest.decoding import Decoded, NotText, decode_text
from casesearch.ingest.dedup import noise_score
from casesearch.ingest.draft import Draft, Part
from casesearch.ingest.listing import split_list
from casesearch.ingest.markup import html_to_blocks, looks_like_markup, strip_markup
from casesearch.ingest.options import IngestOptions
from casesearch.ingest.paths import readable
from casesearch.ingest.structure import short_note, single_case
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


class OverLimit(Skip):
    """The file would unpack to more than the configured limit (a zip or stream bomb)."""


@dataclass
class FileCases:
    """What one file gave.

    Attributes:
        drafts: its cases.
        noise: how messy its text was (the cleaner copy of a duplicate is kept).
        kind: ``"single"`` (one case), ``"list"`` (a page of short cases, which share the
            page's language when too short to tell) or ``"table"`` (one case per row).
        note: how the text was decoded when it took more than one encoding.
    """

    drafts: list[Draft]
    noise: float
    kind: str
    note: str | None = None


def _humanize(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or stem


def _decode(data: bytes) -> Decoded:
    try:
        decoded = decode_text(data)
    except NotText as exc:
        raise Skip(f"not a text file ({exc})") from exc
    if not decoded.text.strip():  # no-break and other Unicode spaces only
        raise Skip("empty file")
    return decoded


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f}".removesuffix(".0")


# Link text and targets cannot hold the bracket that opens them, so a run of "[" or "](" is
# not rescanned from every position (which was quadratic).
_MD_IMAGE = re.compile(r"!\[[^\[\]]*\]\([^)\[\]\n]*\)")
_MD_LINK = re.compile(r"\[([^\[\]]+)\]\([^)\[\]\n]*\)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")


def _markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for group in re.split(r"\n\s*\n", text):
        heading = _MD_HEADING.match(group.strip())
        if heading and "\n" not in group.strip():
            # Closing hashes go ("## Title ##"); string methods, not a lazy pattern that
            # would retry the rest of a long line of "#" at every character.
            title = heading[2].rstrip().rstrip("#").rstrip() or heading[2][0]
            blocks.append(Block("heading", normalize_spaces(title), level=len(heading[1])))
            continue
        clean = _MD_IMAGE.sub("", group)
        clean = _MD_LINK.sub(r"\1", clean)
        clean = re.sub(r"(\*\*|__|`)", "", clean)
        clean = re.sub(r"(?m)^\s*>\s?", "", clean)
        blocks.extend(text_to_blocks(clean))
    return blocks


def _pdf_limits(max_unpacked: int) -> contextlib.AbstractContextManager[object]:
    """pypdf's own decompression limits, lowered to ours (pypdf 7 and later have them)."""
    import pypdf

    apply = getattr(pypdf, "apply_configuration", None)
    if apply is None:
        return contextlib.nullcontext()
    current = pypdf.get_configuration()
    names = [
        "zlib_maximum_output_length",
        "lzw_maximum_output_length",
        "run_length_maximum_output_length",
        "array_based_stream_maximum_output_length",
        "brotli_maximum_output_length",
        "stream_decoding_work_maximum_length",
    ]
    lowered = {
        name: min(getattr(current, name), max_unpacked) for name in names if hasattr(current, name)
    }
    return apply(**lowered)


def _pdf_text(data: bytes, max_unpacked: int) -> str:
    """The text of every page; text beyond ``max_unpacked`` characters is a bomb, not a case."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        with _pdf_limits(max_unpacked):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except Exception as exc:
                    raise Skip("encrypted PDF (cannot decrypt)") from exc
                if not ok:
                    raise Skip("encrypted PDF (password required)")
            pages: list[str] = []
            total = 0
            for page in reader.pages:
                pages.append(page.extract_text() or "")
                total += len(pages[-1])
                if total > max_unpacked:
                    raise OverLimit(
                        f"unpacked size over the limit (PDF text > {_mb(max_unpacked)} MB limit)"
                    )
    except Skip:
        raise
    except LimitReachedError as exc:
        raise OverLimit(
            f"unpacked size over the limit (a PDF stream > {_mb(max_unpacked)} MB limit "
            f"or pypdf's own: {str(exc)[:80]})"
        ) from exc
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


def _docx_content(data: bytes, max_unpacked: int) -> tuple[str, list[Block]]:
    """Text (table rows as ``label<TAB>value`` for form matching) and blocks of a .docx."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        check_zip(data, max_unpacked)
    except ArchiveTooLarge as exc:
        raise OverLimit(f"unpacked size over the limit ({exc})") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise Skip(f"corrupt Word document ({type(exc).__name__})") from exc
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
    if not draft.has_text() and blocks:
        draft = short_note(blocks, _humanize(stem), title_hint)
    draft.fields = {**fields, **draft.fields}
    draft.url = url
    return [draft], False


def read_cases(
    path: Path, data: bytes, options: IngestOptions, *, stem: str | None = None
) -> FileCases:
    """The cases in one file's bytes.

    Args:
        path: the file; its name and suffix decide how it is read.
        data: its bytes.
        options: how files become cases.
        stem: the file name without suffix as people should read it (defaults to the
            path's; see :func:`ingest.paths.readable` for names that are not UTF-8).

    Raises:
        Skip: unknown format, undecodable or corrupt file, or no case text in it.
        OverLimit: a compressed file would unpack to more than ``options.max_unpacked_mb``.
    """
    suffix = path.suffix.lower()
    if _FOLDER_DOCS.match(path.name):
        raise Skip("folder documentation (README/LICENSE), not a case")
    if suffix not in SUPPORTED:
        raise Skip(f"unsupported file type '{readable(suffix) or '(none)'}'")
    if not data.strip():
        raise Skip("empty file")
    stem = path.stem if stem is None else stem
    max_unpacked = options.max_unpacked_mb * 1_000_000
    multi = False
    note: str | None = None
    if suffix in TABLE_SUFFIXES:
        decoded = _decode(data)
        try:
            drafts = rows_to_drafts(decoded.text, suffix, options.columns)
        except TableError as exc:
            raise Skip(str(exc)) from exc
        return FileCases(drafts, 0.0, kind="table", note=decoded.note)
    if suffix == ".pdf":
        text = _pdf_text(data, max_unpacked)
        drafts, multi = cases_from_document(text, None, stem=stem, options=options)
    elif suffix == ".docx":
        text, blocks = _docx_content(data, max_unpacked)
        drafts, multi = cases_from_document(text, blocks, stem=stem, options=options)
    elif suffix in HTML_SUFFIXES:
        decoded = _decode(data)
        text, note = decoded.text, decoded.note
        blocks, title, url = html_to_blocks(text)
        flat = "\n\n".join(b.text for b in blocks)
        drafts, multi = cases_from_document(
            flat, blocks, stem=stem, options=options, title_hint=title, url=url
        )
    else:
        decoded = _decode(data)
        text, note = decoded.text, decoded.note
        if looks_like_markup(text):
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
    return FileCases(drafts, noise_score(text), kind="list" if multi else "single", note=note)
