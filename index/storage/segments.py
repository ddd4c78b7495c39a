"""The index on disk: immutable segments plus a manifest that says which of their cases live.

A segment is a folder written once and never changed: the raw chunk vectors, the chunk hashes
(cache keys), chunk rows, case records, each case's fingerprint and the BM25 postings. Adding
documents writes a new small segment; changing or removing a case marks it deleted in the
manifest. A new index version is a new folder holding hard links to the unchanged segments, the
new segment and a new manifest, swapped in atomically, so an update costs what it adds, not the
size of the index, and an interrupted update leaves the previous version intact.

:func:`load_live` merges the live rows of all segments into one in-memory view, so search code
sees a single list of chunks and cases.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from casesearch.index.storage.lexical import Postings
from casesearch.index.storage.records import (
    ChunkTable,
    SegmentEntry,
    case_from_json,
    case_to_json,
    live_mask,
)
from casesearch.ingest.model import Case

VECTORS = "vectors.npy"
HASHES = "hashes.json"
CHUNKS = "chunks.json"
CASES = "cases.json"
CASE_KEYS = "case_keys.json"
DENSE = "dense.faiss"


@dataclass
class Segment:
    """One segment's content, in chunk order; ``chunks.case[i]`` indexes ``cases``."""

    vectors: np.ndarray
    hashes: list[str]
    chunks: ChunkTable
    cases: list[Case]
    case_keys: list[tuple[str, str]]
    postings: Postings


@dataclass(frozen=True)
class CaseIndexEntry:
    """What a segment's ``case_keys.json`` says of one case: enough to update an index
    without reading its chunk rows."""

    id: str
    fingerprint: str
    langs: dict[str, int]

    @property
    def size(self) -> int:
        """Number of chunks of the case (chunks of a case are contiguous)."""
        return sum(self.langs.values())


def segment_name(number: int) -> str:
    return f"seg-{number:06d}"


def write_segment(folder: Path, segment: Segment) -> None:
    """Write ``segment`` into the new folder ``folder`` (inside a staged index folder)."""
    folder.mkdir(parents=True)
    np.save(folder / VECTORS, np.ascontiguousarray(segment.vectors, dtype=np.float32))
    (folder / HASHES).write_text(json.dumps(segment.hashes), encoding="utf-8")
    chunks = segment.chunks.to_json()
    (folder / CHUNKS).write_text(json.dumps(chunks, ensure_ascii=False), encoding="utf-8")
    cases = [case_to_json(c) for c in segment.cases]
    (folder / CASES).write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    (folder / CASE_KEYS).write_text(json.dumps(_case_index(segment)), encoding="utf-8")
    segment.postings.save(folder)


def _case_index(segment: Segment) -> list[list[object]]:
    """Per case: id, fingerprint and chunk count by language."""
    counts: list[dict[str, int]] = [{} for _ in segment.cases]
    for case, lang in zip(segment.chunks.case.tolist(), segment.chunks.lang.tolist(), strict=True):
        counts[case][lang] = counts[case].get(lang, 0) + 1
    return [[cid, fp, n] for (cid, fp), n in zip(segment.case_keys, counts, strict=True)]


def link_segment(source: Path, target: Path) -> None:
    """Make ``target`` a copy of the segment ``source`` by hard links (files never change)."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        try:
            os.link(path, target / path.name)
        except OSError:  # a file system without hard links: copy instead
            shutil.copy2(path, target / path.name)


def read_hashes(folder: Path) -> list[str]:
    return [str(h) for h in json.loads((folder / HASHES).read_text(encoding="utf-8"))]


def read_case_index(folder: Path) -> list[CaseIndexEntry]:
    """Per case of a segment: id, fingerprint, and its chunk count by language."""
    raw = json.loads((folder / CASE_KEYS).read_text(encoding="utf-8"))
    return [
        CaseIndexEntry(str(cid), str(fp), {str(k): int(v) for k, v in n.items()})
        for cid, fp, n in raw
    ]


def case_of_rows(cases: list[CaseIndexEntry]) -> np.ndarray:
    """The local case number of every row of a segment, from its case index."""
    return np.repeat(np.arange(len(cases), dtype=np.int64), [c.size for c in cases])


def read_vectors(folder: Path) -> np.ndarray:
    """The segment's vectors, memory-mapped (only the rows used are read)."""
    return np.load(folder / VECTORS, mmap_mode="r")


def read_chunks(folder: Path) -> ChunkTable:
    return ChunkTable.from_json(json.loads((folder / CHUNKS).read_text(encoding="utf-8")))


def read_cases(folder: Path) -> list[Case]:
    return [case_from_json(c) for c in json.loads((folder / CASES).read_text(encoding="utf-8"))]


def read_segment(folder: Path) -> Segment:
    return Segment(
        vectors=read_vectors(folder),
        hashes=read_hashes(folder),
        chunks=read_chunks(folder),
        cases=read_cases(folder),
        case_keys=[(c.id, c.fingerprint) for c in read_case_index(folder)],
        postings=Postings.load(folder),
    )


@dataclass
class LiveView:
    """The live chunks and cases of all segments, merged in segment order."""

    vectors: np.ndarray
    hashes: list[str]
    chunks: ChunkTable
    cases: list[Case]
    postings: Postings


def load_live(folder: Path, segments: list[SegmentEntry]) -> LiveView:
    """Read every segment listed in the manifest and keep the rows of its live cases."""
    vectors: list[np.ndarray] = []
    hashes: list[str] = []
    tables: list[ChunkTable] = []
    cases: list[Case] = []
    postings: list[Postings] = []
    for entry in segments:
        segment = read_segment(folder / entry.name)
        deleted = set(entry.deleted_cases)
        renumber = np.full(len(segment.cases), -1, dtype=np.int64)
        for local, record in enumerate(segment.cases):
            if local not in deleted:
                renumber[local] = len(cases)
                cases.append(record)
        keep = np.flatnonzero(live_mask(segment.chunks.case, deleted))
        table = segment.chunks.take(keep) if deleted else segment.chunks
        tables.append(table.with_cases(renumber[table.case]))
        hashes.extend(segment.hashes[i] for i in keep.tolist())
        vectors.append(np.asarray(segment.vectors[keep], dtype=np.float32))
        postings.append(segment.postings.take(keep) if deleted else segment.postings)
    dim = vectors[0].shape[1] if vectors else 0
    return LiveView(
        vectors=np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32),
        hashes=hashes,
        chunks=ChunkTable.concat(tables),
        cases=cases,
        postings=Postings.concat(postings, prune=False) if len(postings) != 1 else postings[0],
    )


def live_excerpts(folder: Path, segments: list[SegmentEntry]) -> list[str]:
    """The text of every live chunk of ``segments`` (what results show), without vectors."""
    out: list[str] = []
    for entry in segments:
        seg = folder / entry.name
        chunks = read_chunks(seg)
        texts = [c["text"] for c in json.loads((seg / CASES).read_text(encoding="utf-8"))]
        for i in np.flatnonzero(live_mask(chunks.case, entry.deleted_cases)).tolist():
            out.append(str(texts[chunks.case[i]])[int(chunks.start[i]) : int(chunks.end[i])])
    return out
