"""A result list kept for a report: CSV, Excel and Markdown with a citation per case.

The command line (``casesearch search --format csv|md``) and the app's download buttons write
the same rows. Column headers and the few words of the Markdown come from the caller, so the
app exports in its interface language and the command line in English.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from casesearch.index.search.response import SearchResponse, SearchResult

#: Columns of the tabular exports, in order.
COLUMNS = (
    "question",
    "filters",
    "rank",
    "title",
    "language",
    "relevance",
    "match",
    "excerpt",
    "best_sentence",
    "section",
    "source",
    "link",
)

#: English headers and Markdown words; the app passes its own (Danish or English).
ENGLISH: dict[str, str] = {
    "question": "Question",
    "filters": "Filters",
    "rank": "Rank",
    "title": "Title",
    "language": "Language",
    "relevance": "Relevance",
    "match": "Match",
    "excerpt": "Excerpt",
    "best_sentence": "Best sentence",
    "section": "Section",
    "source": "Source",
    "link": "Link",
    "heading": "Cases for",
    "mode": "Search mode",
    "none": "none",
    "searched": "Searched",
    "cases": "cases",
    "not_calibrated": "not calibrated",
    "nothing_answers": "Nothing in this collection seems to answer this; the closest cases are:",
    "strong": "strong",
    "good": "good",
    "weak": "weak",
}

#: Marks around the best sentence inside an exported excerpt (plain text has no highlight).
MARK_OPEN, MARK_CLOSE = "»", "«"


@dataclass(frozen=True)
class ExportContext:
    """What the export says about the search besides its results.

    Attributes:
        question: the question as asked.
        filters: the active filters in words ("" when none).
        mode: the search mode.
        link: a link that reproduces the search (the app's shared link), or "".
        case_link: makes a link to a case from its id (the app's case page), or None to
            use the case's web page or source file.
    """

    question: str
    filters: str = ""
    mode: str = "hybrid"
    link: str = ""
    case_link: Callable[[SearchResult], str] | None = None


def marked_excerpt(result: SearchResult) -> str:
    """The excerpt on one line, its best sentence between » and «."""
    text = result.excerpt
    if result.highlight:
        start, end = result.highlight
        text = f"{text[:start]}{MARK_OPEN}{text[start:end]}{MARK_CLOSE}{text[end:]}"
    return " ".join(text.split())


def best_sentence(result: SearchResult) -> str:
    if not result.highlight:
        return ""
    start, end = result.highlight
    return " ".join(result.excerpt[start:end].split())


def case_link(result: SearchResult, context: ExportContext) -> str:
    """Where a reader finds the case: the app's case page, its web page, or its file."""
    if context.case_link is not None:
        return context.case_link(result)
    return result.url or result.source


def rows(
    response: SearchResponse,
    context: ExportContext,
    language_name: Callable[[str], str],
    words: Mapping[str, str] = ENGLISH,
) -> list[dict[str, object]]:
    """One row per result, keyed by :data:`COLUMNS`."""
    return [
        {
            "question": context.question,
            "filters": context.filters,
            "rank": r.rank,
            "title": r.title,
            "language": language_name(r.lang),
            "relevance": None if r.relevance is None else round(r.relevance, 3),
            "match": words.get(r.match, r.match) if r.match else "",
            "excerpt": marked_excerpt(r),
            "best_sentence": best_sentence(r),
            "section": r.section or "",
            "source": r.source,
            "link": case_link(r, context),
        }
        for r in response.results
    ]


def _headed(table: Sequence[Mapping[str, object]], words: Mapping[str, str]) -> list[list[object]]:
    head: list[object] = [words.get(c, c) for c in COLUMNS]
    return [head, *[[row[c] for c in COLUMNS] for row in table]]


def to_csv(table: Sequence[Mapping[str, object]], words: Mapping[str, str] = ENGLISH) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so spreadsheet programs read æ, ø and å right."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for line in _headed(table, words):
        writer.writerow(["" if v is None else v for v in line])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(table: Sequence[Mapping[str, object]], words: Mapping[str, str] = ENGLISH) -> bytes:
    """An Excel workbook (openpyxl): one sheet, a bold header, wrapped excerpts."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "casesearch"
    for line in _headed(table, words):
        sheet.append(line)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = {"question": 30, "filters": 20, "title": 40, "excerpt": 80, "best_sentence": 50}
    for i, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = widths.get(column, 16)
        if column in widths:
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _md(text: str) -> str:
    """Text made safe inside Markdown: characters with a meaning are escaped."""
    out = []
    for ch in " ".join(str(text).split()):
        out.append("\\" + ch if ch in "\\`*_{}[]()#+-!|<>" else ch)
    return "".join(out)


def to_markdown(
    response: SearchResponse,
    context: ExportContext,
    language_name: Callable[[str], str],
    words: Mapping[str, str] = ENGLISH,
) -> str:
    """A Markdown list of the cases, each with a citation (title, collection, section, link)."""
    lines = [f"# {words['heading']} “{_md(context.question)}”", ""]
    lines.append(f"- {words['mode']}: {context.mode}")
    lines.append(f"- {words['filters']}: {_md(context.filters) or words['none']}")
    if context.link:
        lines.append(f"- {words['link']}: <{context.link}>")
    lines.append("")
    if response.likely_answered is False:
        lines += [f"*{words['nothing_answers']}*", ""]
    for r in response.results:
        relevance = (
            f"{words['relevance']} {r.relevance:.0%} ({words.get(r.match or '', r.match)})"
            if r.relevance is not None
            else f"{words['relevance']}: {words['not_calibrated']}"
        )
        lines.append(f"## {r.rank}. {_md(r.title)}")
        lines.append("")
        lines.append(f"{language_name(r.lang)} · {relevance}")
        lines.append("")
        lines.append("> " + _md(marked_excerpt(r)))
        lines.append("")
        citation = [f"*{_md(r.title)}*", _md(r.collection)]
        if r.section:
            citation.append(f"{words['section']}: {_md(r.section)}")
        link = case_link(r, context)
        citation.append(f"<{link}>" if "://" in link else f"`{link}`")
        lines.append(f"{words['source']}: " + ". ".join(citation) + ".")
        lines.append("")
    return "\n".join(lines)
