"""Typed records of the index: the chunk table, case records, segment entries, live rows.

Cases in the index are :class:`~casesearch.ingest.model.Case` objects without their chunks;
the chunks of all cases form one :class:`ChunkTable`, held as columns (one array per field) so
that a million chunks cost arrays, not a million Python objects, and search code can select
rows with numpy. Segment lines of the manifest are :class:`SegmentEntry` values. Which rows of
a segment are live is decided in one place, :func:`live_mask`.

The on-disk JSON of each record is unchanged from earlier versions of the format (lists of
plain objects), so the codecs here are the only place that knows it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from casesearch.ingest.model import Case, Chunk, Section


# --------------------------------------------------------------------------- chunks
@dataclass(frozen=True)
class ChunkRow:
    """One chunk of the index: ``case`` is the row of its case in the case list."""

    id: str
    case: int
    start: int
    end: int
    section: str | None
    lang: str


@dataclass
class ChunkTable:
    """Chunk rows as columns, aligned with the vectors and postings of the same rows.

    Attributes:
        ids: chunk ids (``<case id>#<n>``).
        case: row of each chunk's case in the accompanying case list.
        start, end: character span of the chunk in its case's text.
        section: section title of each chunk, or None.
        lang: language code of each chunk.
    """

    ids: np.ndarray
    case: np.ndarray
    start: np.ndarray
    end: np.ndarray
    section: np.ndarray
    lang: np.ndarray

    def __len__(self) -> int:
        return len(self.case)

    @classmethod
    def empty(cls) -> ChunkTable:
        return cls.from_rows([])

    @classmethod
    def from_rows(cls, rows: Sequence[ChunkRow]) -> ChunkTable:
        return cls(
            ids=_objects(r.id for r in rows),
            case=np.fromiter((r.case for r in rows), dtype=np.int64, count=len(rows)),
            start=np.fromiter((r.start for r in rows), dtype=np.int64, count=len(rows)),
            end=np.fromiter((r.end for r in rows), dtype=np.int64, count=len(rows)),
            section=_objects(r.section for r in rows),
            lang=_objects(r.lang for r in rows),
        )

    @classmethod
    def of_case(cls, chunks: Sequence[Chunk], case_row: int) -> ChunkTable:
        """The rows of one case's chunks, pointing at case row ``case_row``."""
        return cls.from_rows(
            [ChunkRow(c.id, case_row, c.start, c.end, c.section, c.lang) for c in chunks]
        )

    def row(self, i: int) -> ChunkRow:
        """Row ``i`` as a record."""
        return ChunkRow(
            id=str(self.ids[i]),
            case=int(self.case[i]),
            start=int(self.start[i]),
            end=int(self.end[i]),
            section=self.section[i],
            lang=str(self.lang[i]),
        )

    def take(self, rows: np.ndarray) -> ChunkTable:
        """The given rows, in that order."""
        return ChunkTable(
            self.ids[rows],
            self.case[rows],
            self.start[rows],
            self.end[rows],
            self.section[rows],
            self.lang[rows],
        )

    def with_cases(self, case: np.ndarray) -> ChunkTable:
        """The same rows pointing at other case rows (after cases were renumbered)."""
        return replace(self, case=np.asarray(case, dtype=np.int64))

    @classmethod
    def concat(cls, parts: Sequence[ChunkTable]) -> ChunkTable:
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("ids", "case", "start", "end", "section", "lang")
            )
        )

    # ----------------------------------------------------------- JSON (chunks.json)
    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "id": str(self.ids[i]),
                "case": int(self.case[i]),
                "start": int(self.start[i]),
                "end": int(self.end[i]),
                "section": self.section[i],
                "lang": str(self.lang[i]),
            }
            for i in range(len(self))
        ]

    @classmethod
    def from_json(cls, raw: list[dict[str, Any]]) -> ChunkTable:
        n = len(raw)
        return cls(
            ids=_objects(r["id"] for r in raw),
            case=np.fromiter((r["case"] for r in raw), dtype=np.int64, count=n),
            start=np.fromiter((r["start"] for r in raw), dtype=np.int64, count=n),
            end=np.fromiter((r["end"] for r in raw), dtype=np.int64, count=n),
            section=_objects(r.get("section") for r in raw),
            lang=_objects(r["lang"] for r in raw),
        )


def _objects(values: Iterable[str | None]) -> np.ndarray:
    """An object array of (interned) strings: repeated languages and sections share memory."""
    items = [sys.intern(v) if isinstance(v, str) else v for v in values]
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


# --------------------------------------------------------------------------- cases
def index_case(case: Case) -> Case:
    """The record the index keeps of a case: everything but its chunks (those are rows)."""
    return replace(case, chunks=[])


def case_to_json(case: Case) -> dict[str, Any]:
    """A case record as stored in a segment's ``cases.json``."""
    return {
        "id": case.id,
        "title": case.title,
        "text": case.text,
        "lang": case.lang,
        "source": case.source,
        "collection": case.collection,
        "url": case.url,
        "fields": case.fields,
        "sections": [[s.title, s.start, s.end] for s in case.sections],
        "also_sources": case.also_sources,
    }


def case_from_json(raw: dict[str, Any]) -> Case:
    return Case(
        id=str(raw["id"]),
        title=str(raw["title"]),
        text=str(raw["text"]),
        lang=str(raw["lang"]),
        source=str(raw["source"]),
        collection=str(raw.get("collection", "")),
        url=raw.get("url"),
        sections=[Section(str(t), int(s), int(e)) for t, s, e in raw.get("sections", [])],
        fields={str(k): str(v) for k, v in (raw.get("fields") or {}).items()},
        also_sources=[str(s) for s in raw.get("also_sources", [])],
    )


# --------------------------------------------------------------------------- segments
#: How segment folders are named (``seg-000001``); anything else in a manifest is damage.
SEGMENT_NAME = re.compile(r"seg-\d{6}")


class EntryError(ValueError):
    """A segment line of the manifest does not have the shape the format defines."""


@dataclass(frozen=True)
class SegmentEntry:
    """A segment's line in the manifest.

    Attributes:
        name: folder name (``seg-000001``).
        chunks: rows stored in the segment (live or not).
        cases: cases stored in the segment.
        fingerprint: digest of its chunk hashes (names its content).
        deleted_cases: local case numbers that no longer live (changed or removed since).
        files: per file of the segment folder, its size in bytes and CRC-32, as written.
            Equal entries therefore mean byte-equal segments, and any damage to a file
            (cut short, overwritten, bytes flipped) is found before it is used. Empty for
            segments written before checksums were recorded.
    """

    name: str
    chunks: int
    cases: int
    fingerprint: str = ""
    deleted_cases: tuple[int, ...] = field(default=())
    files: dict[str, tuple[int, int]] = field(default_factory=dict, compare=True, hash=False)

    def with_deleted(self, more: Iterable[int]) -> SegmentEntry:
        return replace(self, deleted_cases=tuple(sorted({*self.deleted_cases, *more})))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "chunks": self.chunks,
            "cases": self.cases,
            "fingerprint": self.fingerprint,
            "deleted_cases": list(self.deleted_cases),
        }
        if self.files:
            out["files"] = {k: list(v) for k, v in sorted(self.files.items())}
        return out

    @classmethod
    def from_json(cls, raw: object) -> SegmentEntry:
        """Decode a manifest line, refusing anything that is not exactly the format.

        Raises:
            EntryError: a field is missing or of the wrong type or range (a name that is
                not ``seg-NNNNNN`` could point outside the index folder).
        """
        if not isinstance(raw, dict):
            raise EntryError(f"a segment entry is {type(raw).__name__}, not an object")
        name = raw.get("name")
        if not isinstance(name, str) or not SEGMENT_NAME.fullmatch(name):
            raise EntryError(f"segment name {name!r} is not of the form seg-NNNNNN")
        chunks, cases = _count(raw, "chunks", name), _count(raw, "cases", name)
        fingerprint = raw.get("fingerprint", "")
        deleted = raw.get("deleted_cases", [])
        if not isinstance(fingerprint, str):
            raise EntryError(f"{name}: fingerprint is not text")
        if not isinstance(deleted, list) or not all(_is_int(i) and 0 <= i < cases for i in deleted):
            raise EntryError(f"{name}: deleted_cases is not a list of its case numbers")
        files_raw = raw.get("files", {})
        if not isinstance(files_raw, dict):
            raise EntryError(f"{name}: files is not an object")
        files: dict[str, tuple[int, int]] = {}
        for file, value in files_raw.items():
            if (
                "/" in file
                or "\\" in file
                or file in ("", ".", "..")
                or not isinstance(value, list)
                or len(value) != 2
                or not all(_is_int(v) and v >= 0 for v in value)
            ):
                raise EntryError(f"{name}: file record {file!r}: {value!r} is not [size, crc]")
            files[file] = (int(value[0]), int(value[1]))
        return cls(
            name=name,
            chunks=chunks,
            cases=cases,
            fingerprint=fingerprint,
            deleted_cases=tuple(sorted(int(i) for i in deleted)),
            files=files,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _count(raw: dict[str, Any], key: str, name: str) -> int:
    value = raw.get(key, 0)
    if not _is_int(value) or value < 0:
        raise EntryError(f"{name}: {key} is {value!r}, not a count")
    return int(value)


def live_mask(chunk_cases: np.ndarray, deleted_cases: Collection[int]) -> np.ndarray:
    """Which rows of a segment are live: those whose case is not deleted.

    Args:
        chunk_cases: the local case number of every row of the segment.
        deleted_cases: local case numbers marked deleted in the manifest.
    """
    if not deleted_cases:
        return np.ones(len(chunk_cases), dtype=bool)
    return ~np.isin(chunk_cases, np.fromiter(deleted_cases, dtype=np.int64))
