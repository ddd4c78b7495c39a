"""Case exports with one case per row: JSON lines, JSON arrays, CSV and TSV.

Columns are found by name from configurable candidate lists (see
:data:`ingest.options.DEFAULT_COLUMNS`), so a new export needs a ``--columns`` option,
not code.
"""

from __future__ import annotations

import csv
import io
import json

from casesearch.ingest.blocks import text_to_blocks
from casesearch.ingest.draft import Draft, Part
from casesearch.ingest.structure import single_case


class TableError(ValueError):
    """The file is not a usable table of cases."""


def _pick(row: dict[str, object], candidates: list[str]) -> str | None:
    lowered = {str(k).strip().casefold(): v for k, v in row.items()}
    for name in candidates:
        value = lowered.get(name.casefold())
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _rows_from_json(text: str, jsonl: bool) -> list[dict[str, object]]:
    if not jsonl:
        data = json.loads(text)
        if isinstance(data, dict):
            data = next((v for v in data.values() if isinstance(v, list)), [data])
        if not isinstance(data, list):
            raise TableError("JSON is not a list of records")
        return [r for r in data if isinstance(r, dict)]
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TableError(f"invalid JSON on line {n}: {exc.msg}") from exc
        if isinstance(record, dict):
            rows.append(record)
    return rows


def _rows_from_csv(text: str, delimiter: str | None) -> list[dict[str, object]]:
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    csv.field_size_limit(1 << 26)
    try:
        return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise TableError(f"unreadable CSV: {exc}") from exc


def rows_to_drafts(text: str, suffix: str, columns: dict[str, list[str]]) -> list[Draft]:
    """One draft per row that has a title and a text column.

    Raises:
        TableError: when the file cannot be parsed or no row has the needed columns.
    """
    try:
        if suffix in (".jsonl", ".ndjson"):
            rows = _rows_from_json(text, jsonl=True)
        elif suffix == ".json":
            rows = _rows_from_json(text, jsonl=False)
        else:
            rows = _rows_from_csv(text, "\t" if suffix == ".tsv" else None)
    except json.JSONDecodeError as exc:
        raise TableError(f"invalid JSON: {exc.msg}") from exc
    drafts: list[Draft] = []
    for row in rows:
        title = _pick(row, columns.get("title", []))
        body = _pick(row, columns.get("text", []))
        if not title or not body:
            continue
        # Row text may have its own headings (Participedia does): keep them as sections.
        title = " ".join(title.split())
        case = single_case(text_to_blocks(body), title, title_hint=title)
        parts = case.parts
        drafts.append(
            Draft(
                title=title,
                parts=parts or [Part(None, body)],
                url=_pick(row, columns.get("url", [])),
                fields=case.fields,
                lang=(_pick(row, columns.get("lang", [])) or None),
                source_key=_pick(row, columns.get("id", [])),
            )
        )
    if not drafts:
        wanted = ", ".join(
            f"{r}={'/'.join(c[:3])}" for r, c in columns.items() if r in ("title", "text")
        )
        raise TableError(f"no rows with title and text columns (looked for {wanted})")
    return drafts
