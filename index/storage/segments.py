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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from casesearch.index.storage.lexical import Postings

VECTORS = "vectors.npy"
HASHES = "hashes.json"
CHUNKS = "chunks.json"
CASES = "cases.json"
CASE_KEYS = "case_keys.json"


@dataclass
class Segment:
    """One segment's content, in chunk order; ``chunks[i]["case"]`` indexes ``cases``."""

    vectors: np.ndarray
    hashes: list[str]
    chunks: list[dict[str, object]]
    cases: list[dict[str, object]]
    case_keys: list[tuple[str, str]]
    postings: Postings


def segment_name(number: int) -> str:
    return f"seg-{number:06d}"


def write_segment(folder: Path, segment: Segment) -> None:
    """Write ``segment`` into the new folder ``folder`` (inside a staged index folder)."""
    folder.mkdir(parents=True)
    np.save(folder / VECTORS, np.ascontiguousarray(segment.vectors, dtype=np.float32))
    (folder / HASHES).write_text(json.dumps(segment.hashes), encoding="utf-8")
    (folder / CHUNKS).write_text(json.dumps(segment.chunks, ensure_ascii=False), encoding="utf-8")
    (folder / CASES).write_text(json.dumps(segment.cases, ensure_ascii=False), encoding="utf-8")
    (folder / CASE_KEYS).write_text(json.dumps(_case_index(segment)), encoding="utf-8")
    segment.postings.save(folder)


def _case_index(segment: Segment) -> list[list[object]]:
    """Per case: id, fingerprint and chunk count by language (chunks of a case are contiguous).

    Enough to update an index without reading its chunk rows.
    """
    counts: list[dict[str, int]] = [{} for _ in segment.cases]
    for row in segment.chunks:
        langs = counts[int(row["case"])]  # type: ignore[call-overload]
        langs[str(row["lang"])] = langs.get(str(row["lang"]), 0) + 1
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
    return json.loads((folder / HASHES).read_text(encoding="utf-8"))


def read_case_index(folder: Path) -> list[tuple[str, str, dict[str, int]]]:
    """Per case of a segment: id, fingerprint, and its chunk count by language."""
    raw = json.loads((folder / CASE_KEYS).read_text(encoding="utf-8"))
    return [(str(cid), str(fp), {str(k): int(v) for k, v in n.items()}) for cid, fp, n in raw]


def read_vectors(folder: Path) -> np.ndarray:
    """The segment's vectors, memory-mapped (only the rows used are read)."""
    return np.load(folder / VECTORS, mmap_mode="r")


def read_segment(folder: Path) -> Segment:
    return Segment(
        vectors=read_vectors(folder),
        hashes=read_hashes(folder),
        chunks=json.loads((folder / CHUNKS).read_text(encoding="utf-8")),
        cases=json.loads((folder / CASES).read_text(encoding="utf-8")),
        case_keys=[(cid, fp) for cid, fp, _ in read_case_index(folder)],
        postings=Postings.load(folder),
    )


@dataclass
class LiveView:
    """The live chunks and cases of all segments, merged in segment order."""

    vectors: np.ndarray
    hashes: list[str]
    chunks: list[dict[str, object]]
    cases: list[dict[str, object]]
    postings: Postings
    #: Per segment, the segment rows that are live (their order is the live order).
    kept_rows: list[np.ndarray] = field(default_factory=list)


def load_live(
    folder: Path, segments: list[dict[str, object]], *, with_vectors: bool = True
) -> LiveView:
    """Read every segment listed in the manifest and keep the rows of its live cases.

    ``with_vectors=False`` leaves the vectors on disk (an approximate index reads them there).
    """
    dim = 0
    vectors, hashes, chunks, cases, postings, kept_rows = [], [], [], [], [], []
    for entry in segments:
        segment = read_segment(folder / str(entry["name"]))
        deleted = {int(i) for i in entry.get("deleted_cases", [])}  # type: ignore[union-attr]
        case_row = {}
        for local, record in enumerate(segment.cases):
            if local not in deleted:
                case_row[local] = len(cases)
                cases.append(record)
        keep = [i for i, row in enumerate(segment.chunks) if int(row["case"]) in case_row]
        for i in keep:
            row = dict(segment.chunks[i])
            row["case"] = case_row[int(row["case"])]
            chunks.append(row)
            hashes.append(segment.hashes[i])
        keep_arr = np.asarray(keep, dtype=np.int64)
        kept_rows.append(keep_arr)
        dim = segment.vectors.shape[1]
        if with_vectors:
            vectors.append(np.asarray(segment.vectors[keep_arr], dtype=np.float32))
        postings.append(segment.postings.take(keep_arr) if deleted else segment.postings)
    return LiveView(
        vectors=(vectors[0] if len(vectors) == 1 else np.concatenate(vectors))
        if vectors
        else np.zeros((0, dim), np.float32),
        hashes=hashes,
        chunks=chunks,
        cases=cases,
        postings=Postings.concat(postings, prune=False) if len(postings) != 1 else postings[0],
        kept_rows=kept_rows,
    )


def live_excerpts(folder: Path, segments: list[dict[str, object]]) -> list[str]:
    """The text of every live chunk of ``segments`` (what results show), without vectors."""
    out: list[str] = []
    for entry in segments:
        seg = folder / str(entry["name"])
        deleted = {int(i) for i in entry.get("deleted_cases", [])}  # type: ignore[union-attr]
        cases = json.loads((seg / CASES).read_text(encoding="utf-8"))
        for row in json.loads((seg / CHUNKS).read_text(encoding="utf-8")):
            case = int(row["case"])
            if case not in deleted:
                out.append(str(cases[case]["text"])[int(row["start"]) : int(row["end"])])
    return out
