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

import io
import json
import mmap
import os
import shutil
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from casesearch.index.storage.lexical import POSTINGS, VOCAB, Postings
from casesearch.index.storage.records import (
    ChunkTable,
    SegmentEntry,
    case_from_json,
    case_to_json,
    live_mask,
)
from casesearch.ingest.model import Case

T = TypeVar("T")

VECTORS = "vectors.npy"
HASHES = "hashes.json"
CHUNKS = "chunks.json"
CASES = "cases.json"
CASE_KEYS = "case_keys.json"


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
    _write_json_list(folder / CHUNKS, segment.chunks.to_json())
    _write_json_list(folder / CASES, (case_to_json(c) for c in segment.cases))
    (folder / CASE_KEYS).write_text(json.dumps(_case_index(segment)), encoding="utf-8")
    segment.postings.save(folder)


def _write_json_list(path: Path, items: Iterable[object]) -> None:
    """A JSON list written item by item: a million cases never become one string."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[")
        for i, item in enumerate(items):
            fh.write(("," if i else "") + json.dumps(item, ensure_ascii=False))
        fh.write("]")


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


# --------------------------------------------------------------------------- checking
class SegmentDamagedError(ValueError):
    """A file of a segment is missing, cut short, altered, or does not fit the manifest.

    The message names the segment and file (``seg-000002/vectors.npy: ...``).
    """


def _crc(data: bytes | mmap.mmap | memoryview) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def file_checksums(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and CRC-32 of every file of a segment folder, as recorded in its manifest entry.

    CRC-32 (zlib) runs at about 1 GB/s here, so recording and checking it costs a fraction of
    reading the files, and it catches any cut, overwrite or burst of flipped bytes.
    """
    out: dict[str, tuple[int, int]] = {}
    for path in sorted(folder.iterdir()):
        with path.open("rb") as fh:
            data = _map(fh)
            try:
                out[path.name] = (len(data), _crc(data))
            finally:
                if isinstance(data, mmap.mmap):
                    data.close()
    return out


def with_checksums(folder: Path, entry: SegmentEntry) -> SegmentEntry:
    """``entry`` with the checksums of the files now in ``folder``."""
    return replace(entry, files=file_checksums(folder))


def _map(fh: Any) -> mmap.mmap | bytes:
    """The whole file, memory-mapped (empty files cannot be mapped: their bytes, none)."""
    size = os.fstat(fh.fileno()).st_size
    if size == 0:
        return b""
    return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


class SegmentFiles:
    """Reads the files of one segment, each checked against the manifest entry.

    Every file is opened once, and the bytes that are checked are the bytes that are parsed,
    so what is read is exactly what the manifest lists even while a newer index version is
    being swapped in beside it.
    """

    def __init__(self, folder: Path, entry: SegmentEntry) -> None:
        self.folder = folder
        self.entry = entry

    def _fail(self, name: str, what: str) -> SegmentDamagedError:
        return SegmentDamagedError(f"{self.entry.name}/{name}: {what}")

    def _check(self, name: str, data: bytes | mmap.mmap) -> None:
        expected = self.entry.files.get(name)
        if expected is None:
            return
        size, crc = expected
        if len(data) != size:
            raise self._fail(name, f"{len(data)} bytes, the manifest says {size}")
        if _crc(data) != crc:
            raise self._fail(name, "its content changed since it was written (checksum)")

    def _open(self, name: str) -> Any:
        try:
            return (self.folder / name).open("rb")
        except FileNotFoundError:
            raise self._fail(name, "missing") from None
        except OSError as exc:
            raise self._fail(name, f"cannot be read ({exc.strerror or exc})") from exc

    def raw(self, name: str) -> bytes:
        """The checked bytes of a file."""
        with self._open(name) as fh:
            data = fh.read()
        self._check(name, data)
        return data

    def parse(self, name: str, decode: Callable[[bytes], T]) -> T:
        """The checked bytes of a file, decoded; any decoding failure is damage."""
        data = self.raw(name)
        try:
            return decode(data)
        except Exception as exc:  # untrusted bytes: every parser failure means damage
            raise self._fail(name, f"unreadable ({type(exc).__name__}: {exc})") from exc

    def json(self, name: str) -> Any:
        return self.parse(name, lambda data: json.loads(data.decode("utf-8")))

    def vectors(self, dim: int | None = None) -> np.ndarray:
        """The float32 vectors, memory-mapped and checked (shape against the manifest)."""
        with self._open(VECTORS) as fh:
            data = _map(fh)
        self._check(VECTORS, data)
        try:
            head = io.BytesIO(bytes(memoryview(data)[: min(len(data), 1 << 17)]))
            version = np.lib.format.read_magic(head)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(head)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(head)
            offset = head.tell()
        except Exception as exc:
            raise self._fail(VECTORS, f"not a vector file ({exc})") from exc
        rows = self.entry.chunks
        if dtype != np.float32 or fortran or len(shape) != 2 or shape[0] != rows:
            raise self._fail(VECTORS, f"holds {dtype} {shape}, the manifest says {rows} rows")
        if dim is not None and shape[1] != dim:
            raise self._fail(VECTORS, f"vectors of dimension {shape[1]}, not {dim}")
        if offset + rows * shape[1] * 4 != len(data):
            raise self._fail(VECTORS, f"{len(data)} bytes do not hold {shape} float32")
        if rows == 0:
            return np.zeros(shape, dtype=np.float32)
        return np.frombuffer(data, dtype=np.float32, count=rows * shape[1], offset=offset).reshape(
            shape
        )

    def verify(self, name: str) -> None:
        """Check one file against the manifest (its size and checksum), without keeping it."""
        with self._open(name) as fh:
            data = _map(fh)
        try:
            self._check(name, data)
        finally:
            if isinstance(data, mmap.mmap):
                data.close()

    def verify_all(self) -> None:
        """Check every file the manifest lists (sizes and checksums), and that none is gone."""
        for name in sorted(self.entry.files):
            self.verify(name)


def read_hashes(folder: Path) -> list[str]:
    return [str(h) for h in json.loads((folder / HASHES).read_text(encoding="utf-8"))]


def read_case_index(folder: Path) -> list[CaseIndexEntry]:
    """Per case of a segment: id, fingerprint, and its chunk count by language."""
    return case_index_from(json.loads((folder / CASE_KEYS).read_text(encoding="utf-8")))


def case_index_from(raw: list[list[Any]]) -> list[CaseIndexEntry]:
    out = []
    for cid, fp, n in raw:
        counts = {str(k): int(v) for k, v in n.items()}
        if any(v < 0 for v in counts.values()):
            raise ValueError(f"negative chunk count for case {cid}")
        out.append(CaseIndexEntry(str(cid), str(fp), counts))
    return out


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


def read_segment(folder: Path, entry: SegmentEntry, dim: int | None = None) -> Segment:
    """Read a segment and check that its files agree with its manifest entry and each other.

    Raises:
        SegmentDamagedError: naming the segment and the file that is wrong.
    """
    files = SegmentFiles(folder, entry)
    rows, n_cases = entry.chunks, entry.cases
    hashes = files.json(HASHES)
    if not isinstance(hashes, list) or len(hashes) != rows:
        raise files._fail(HASHES, f"does not list the {rows} chunk hashes")
    case_keys = files.parse(CASE_KEYS, lambda data: case_index_from(json.loads(data)))
    if len(case_keys) != n_cases or sum(c.size for c in case_keys) != rows:
        raise files._fail(CASE_KEYS, f"does not describe {n_cases} cases of {rows} chunks")
    chunks = files.parse(CHUNKS, lambda data: ChunkTable.from_json(json.loads(data)))
    if len(chunks) != rows or (rows and not np.array_equal(chunks.case, case_of_rows(case_keys))):
        raise files._fail(CHUNKS, f"does not hold the {rows} chunks of its {n_cases} cases")
    cases = files.parse(CASES, lambda data: [case_from_json(c) for c in json.loads(data)])
    if len(cases) != n_cases:
        raise files._fail(CASES, f"holds {len(cases)} cases, the manifest says {n_cases}")
    vectors = files.vectors(dim)
    postings = files.parse(POSTINGS, lambda data: Postings.from_bytes(data, files.raw(VOCAB)))
    if postings.rows != rows:
        raise files._fail(POSTINGS, f"has {postings.rows} rows, the manifest says {rows}")
    return Segment(
        vectors=vectors,
        hashes=[str(h) for h in hashes],
        chunks=chunks,
        cases=cases,
        case_keys=[(c.id, c.fingerprint) for c in case_keys],
        postings=postings,
    )


@dataclass
class LiveView:
    """The live chunks and cases of all segments, merged in segment order."""

    vectors: np.ndarray
    hashes: list[str]
    chunks: ChunkTable
    cases: list[Case]
    postings: Postings
    #: Per segment, the segment rows that are live (their order is the live order).
    kept_rows: list[np.ndarray] = field(default_factory=list)
    #: Per segment, all its stored vectors, memory-mapped and checked against the manifest.
    segment_vectors: list[np.ndarray] = field(default_factory=list)


def load_live(
    folder: Path,
    segments: list[SegmentEntry],
    dim: int | None = None,
    *,
    with_vectors: bool = True,
) -> LiveView:
    """Read every segment listed in the manifest and keep the rows of its live cases.

    ``with_vectors=False`` leaves the vectors on disk (an approximate index reads them there,
    through :attr:`LiveView.segment_vectors`); they are checked all the same.

    Raises:
        SegmentDamagedError: a file does not match the manifest (see :func:`read_segment`).
    """
    kept_rows: list[np.ndarray] = []
    segment_vectors: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    hashes: list[str] = []
    tables: list[ChunkTable] = []
    cases: list[Case] = []
    postings: list[Postings] = []
    for entry in segments:
        segment = read_segment(folder / entry.name, entry, dim)
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
        kept_rows.append(keep)
        segment_vectors.append(segment.vectors)
        if with_vectors:
            vectors.append(np.asarray(segment.vectors[keep], dtype=np.float32))
        postings.append(segment.postings.take(keep) if deleted else segment.postings)
    width = segment_vectors[0].shape[1] if segment_vectors else (dim or 0)
    return LiveView(
        vectors=(vectors[0] if len(vectors) == 1 else np.concatenate(vectors))
        if vectors
        else np.zeros((0, width), np.float32),
        hashes=hashes,
        chunks=ChunkTable.concat(tables),
        cases=cases,
        postings=Postings.concat(postings, prune=False) if len(postings) != 1 else postings[0],
        kept_rows=kept_rows,
        segment_vectors=segment_vectors,
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
