"""Dense retrieval with FAISS over normalised embeddings, scored language-centred.

A chunk's dense score is ``q·d − q·μ_lang(d)`` (see :mod:`index.storage.centering`). Two ways to
find the best chunks, chosen per index (``kind``):

* **Exhaustive** (``flat``: float16 codes, ``flat32``: float32): every live vector, centred with
  the current centroids, is laid out in memory when the index is opened and scored per question.
  A single-question search is bound by memory bandwidth, so float16 halves both its time and its
  memory while the top 100 stay those of float32 search (BENCHMARKS.md). Exact, but linear in
  the size of the index.
* **Approximate** (``rabitq``: 2-bit RaBitQ codes of every vector, scanned whole, the best
  ``k · rerank`` candidates re-scored exactly from the memory-mapped vectors; ``ivf``: an
  inverted file of float16 codes; ``hnsw``: a graph). Every segment
  stores, for each language with at least :data:`ANN_MIN_ROWS` of its chunks, a FAISS index over
  that language's raw vectors, written once with the segment. Within one language, centring
  subtracts the same ``q·μ`` from every score, so an index over raw vectors ranks exactly like
  one over centred vectors, and the centroids may move as cases come and go without touching a
  stored file: a part's scores are shifted by ``−q·μ_lang`` when the parts are merged. Appending
  documents therefore writes an index for the new segment only, and deleted cases are skipped by
  a bitmap at search time. Rows that no part covers (small appended segments, rare languages)
  form an exhaustive pool next to the parts.

A large language's RaBitQ codes are stored in several parts, scanned in parallel.

``auto`` is exhaustive up to :data:`APPROXIMATE_THRESHOLD` chunks and ``rabitq`` above; the
kind and its parameters were chosen by measurement at 1M chunks (BENCHMARKS.md, "A million
chunks"): graph and inverted-file searches lose whole cases on crowded collections, a scan of
compact codes with exact re-scoring does not.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from casesearch.index.model.backends import build_threads
from casesearch.index.storage.centering import centre, centroids_from_sums, language_centroids
from casesearch.index.storage.manifest import DENSE_KINDS
from casesearch.index.storage.records import SegmentEntry
from casesearch.index.storage.segments import LiveView, SegmentDamagedError, SegmentFiles

#: Index kinds a user can ask for (``--dense``).
KINDS = ("auto", *DENSE_KINDS)
#: Kinds laid out from the stored vectors when an index is opened.
EXHAUSTIVE_KINDS = ("flat", "flat32")
#: Kinds whose segments carry stored FAISS indexes.
APPROXIMATE_KINDS = ("ivf", "hnsw", "rabitq")
#: ``auto`` searches exhaustively up to this many chunks and approximately above it, with
#: this kind.
APPROXIMATE_THRESHOLD = 300_000
DEFAULT_APPROXIMATE = "rabitq"
#: In an approximate index, a language with fewer chunks than this in a segment joins the
#: exhaustive pool instead of getting its own FAISS index (below it exhaustive search is as
#: fast, and exact).
ANN_MIN_ROWS = 20_000

#: IVF: number of lists ``≈ IVF_LISTS_PER_SQRT · √n``, at least ``IVF_MIN_PER_LIST`` vectors each.
IVF_LISTS_PER_SQRT = 4.0
IVF_MIN_PER_LIST = 39
#: IVF training: k-means on at most this many vectors per list, this many iterations.
IVF_TRAIN_PER_LIST = 64
IVF_TRAIN_ITERATIONS = 10
#: IVF: lists scanned per question (the recall/latency knob): recall@100 0.995 on the clustered
#: test set of 12k vectors (438 lists; 48 lists gave 0.91 with faiss 1.15).
IVF_NPROBE = 128
#: RaBitQ: bits per dimension of the compact codes scanned, bits of the query's quantisation,
#: and how many candidates per result are re-scored exactly from the stored vectors.
RABITQ_BITS = 2
RABITQ_QUERY_BITS = 8
RABITQ_RERANK = 10
#: RaBitQ: a language's rows are stored in parts of at most this many rows. One question's
#: scan of a part runs on one core, so a large language is scanned part by part in parallel
#: (:data:`SCAN_THREADS`), which at 1M chunks halves the dense search on two cores.
RABITQ_PART_ROWS = 524_288
#: A part of a split language re-scores ``share · margin`` of the language's candidates, and at
#: least ``k · RABITQ_PART_RERANK`` (the best candidates may cluster in one part).
RABITQ_PART_MARGIN = 2.0
RABITQ_PART_RERANK = 5
#: Threads that scan the parts of an approximate index for one question.
SCAN_THREADS = max(1, min(4, os.cpu_count() or 1))
#: With fewer usable rows than this (a narrow filter), a part scores them all exactly.
EXACT_ROWS = 4096
#: HNSW graph degree, construction and search breadth.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128

#: A segment's list of stored approximate indexes (one per language), next to its files.
ANN_LIST = "ann.json"
#: Seed of the IVF training sample, so a build is reproducible.
_TRAIN_SEED = 20161


def use_single_thread() -> None:
    """One OpenMP thread: for single queries it is 10x faster than two on this kind of CPU."""
    faiss.omp_set_num_threads(1)


@contextmanager
def _build_threads():
    """All build threads while training or filling an index, then back to what was set."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(build_threads())
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def resolve_kind(kind: str, chunks: int) -> str:
    """The index kind to build for ``chunks`` live chunks (``auto`` decided by size)."""
    if kind not in KINDS:
        raise ValueError(f"unknown dense index kind {kind!r} (use one of {', '.join(KINDS)})")
    if kind == "auto":
        return DEFAULT_APPROXIMATE if chunks > APPROXIMATE_THRESHOLD else "flat"
    return kind


def ivf_lists(n: int) -> int:
    """Number of inverted lists for ``n`` vectors."""
    return max(1, min(round(IVF_LISTS_PER_SQRT * math.sqrt(n)), n // IVF_MIN_PER_LIST))


# --------------------------------------------------------------------------- building
def build_exhaustive(vectors: np.ndarray, kind: str) -> faiss.Index:
    """An exhaustive index over ``vectors`` (float16 codes for ``flat``)."""
    dim = vectors.shape[1]
    if kind == "flat":
        index: faiss.Index = faiss.IndexScalarQuantizer(
            dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
    elif kind == "flat32":
        index = faiss.IndexFlatIP(dim)
    else:
        raise ValueError(f"{kind!r} is not an exhaustive index kind ({EXHAUSTIVE_KINDS})")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def build_approximate(
    vectors: np.ndarray,
    kind: str,
    *,
    nlist: int | None = None,
    code: str = "fp16",
    hnsw_m: int = HNSW_M,
    bits: int = RABITQ_BITS,
) -> faiss.Index:
    """An approximate index over normalised ``vectors`` (positions are row numbers).

    Args:
        vectors: float32 rows, normalised.
        kind: ``ivf`` or ``hnsw``.
        nlist: IVF lists (default :func:`ivf_lists`).
        code: IVF list encoding, ``fp16`` or ``sq8`` (8-bit scalar quantiser).
        hnsw_m: HNSW graph degree.
        bits: RaBitQ bits per dimension.
    """
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    with _build_threads():
        if kind == "ivf":
            return _build_ivf(x, nlist or ivf_lists(len(x)), code)
        if kind == "hnsw":
            return _build_hnsw(x, hnsw_m)
        if kind == "rabitq":
            return _build_rabitq(x, bits)
    raise ValueError(f"{kind!r} is not an approximate index kind ({APPROXIMATE_KINDS})")


def _build_ivf(x: np.ndarray, nlist: int, code: str) -> faiss.Index:
    dim = x.shape[1]
    qtype = {"fp16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit}
    index = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(dim), dim, nlist, qtype[code], faiss.METRIC_INNER_PRODUCT
    )
    index.cp.spherical = True  # centroids on the sphere, like the vectors
    index.cp.niter = IVF_TRAIN_ITERATIONS
    index.cp.max_points_per_centroid = IVF_TRAIN_PER_LIST
    sample = min(len(x), nlist * IVF_TRAIN_PER_LIST)
    rows = np.random.default_rng(_TRAIN_SEED).choice(len(x), sample, replace=False)
    index.train(x[np.sort(rows)])
    index.add(x)
    index.nprobe = IVF_NPROBE
    return index


def _build_rabitq(x: np.ndarray, bits: int) -> faiss.Index:
    index = faiss.IndexRaBitQFastScan(x.shape[1], faiss.METRIC_INNER_PRODUCT, 32, bits)
    sample = min(len(x), 65_536)
    rows = np.random.default_rng(_TRAIN_SEED).choice(len(x), sample, replace=False)
    index.train(x[np.sort(rows)])  # the centre the codes are taken around
    index.add(x)
    index.qb = RABITQ_QUERY_BITS
    return index


def _build_hnsw(x: np.ndarray, m: int) -> faiss.Index:
    index = faiss.IndexHNSWFlat(x.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(x)
    return index


@dataclass
class StoredPart:
    """One language's approximate index within a segment, and the segment rows it covers."""

    lang: str
    rows: np.ndarray
    index: faiss.Index


def build_segment_parts(vectors: np.ndarray, langs: Sequence[str], kind: str) -> list[StoredPart]:
    """The approximate indexes of a new segment: one per language with enough chunks."""
    if kind not in APPROXIMATE_KINDS or len(vectors) == 0:
        return []
    lang_arr = np.asarray(list(langs), dtype=object)
    parts = []
    for lang in sorted(set(lang_arr.tolist())):
        rows = np.flatnonzero(lang_arr == lang).astype(np.int64)
        if len(rows) >= ANN_MIN_ROWS:
            for piece in split_rows(rows, kind):
                parts.append(StoredPart(lang, piece, build_approximate(vectors[piece], kind)))
    return parts


def split_rows(rows: np.ndarray, kind: str) -> list[np.ndarray]:
    """One language's rows as the parts they are stored in (RaBitQ: parts scanned in
    parallel, at most :data:`RABITQ_PART_ROWS` each; other kinds: one part)."""
    if kind != "rabitq" or len(rows) <= RABITQ_PART_ROWS:
        return [rows]
    pieces = math.ceil(len(rows) / RABITQ_PART_ROWS)
    return [np.ascontiguousarray(piece) for piece in np.array_split(rows, pieces)]


def write_segment_parts(folder: Path, kind: str, parts: list[StoredPart]) -> None:
    """Write the parts next to the segment's files; the list is written last."""
    if not parts:
        return
    entries = []
    for i, part in enumerate(parts):
        name = f"ann-{i}"
        faiss.write_index(part.index, str(folder / f"{name}.faiss"))
        np.save(folder / f"{name}.rows.npy", part.rows.astype(np.int64))
        entries.append({"lang": part.lang, "file": name, "rows": len(part.rows)})
    (folder / ANN_LIST).write_text(json.dumps({"kind": kind, "parts": entries}), encoding="utf-8")


def read_segment_parts(
    folder: Path, kind: str, entry: SegmentEntry | None = None
) -> list[StoredPart]:
    """The stored parts of a segment for ``kind`` (none: its rows are searched exhaustively).

    IVF and RaBitQ parts are memory-mapped: opening costs little and a question reads only
    what it scans. With the segment's manifest ``entry``, every file is first checked against
    the size and checksum recorded there.

    Raises:
        SegmentDamagedError: a listed file is missing, unreadable or altered.
    """
    files = SegmentFiles(folder, entry) if entry is not None else None
    name = entry.name if entry is not None else folder.name

    def fail(file: str, what: str) -> SegmentDamagedError:
        return SegmentDamagedError(f"{name}/{file}: {what}")

    path = folder / ANN_LIST
    if not path.exists():
        if entry is not None and ANN_LIST in entry.files:
            raise fail(ANN_LIST, "missing")
        return []
    try:
        listing = files.json(ANN_LIST) if files else json.loads(path.read_text(encoding="utf-8"))
    except SegmentDamagedError:
        raise
    except (OSError, ValueError) as exc:
        raise fail(ANN_LIST, f"unreadable ({exc})") from exc
    if not isinstance(listing, dict) or listing.get("kind") != kind:
        return []
    parts = []
    for part in listing.get("parts", []):
        stem = str(part["file"])
        index_file, rows_file = f"{stem}.faiss", f"{stem}.rows.npy"
        if files is not None:
            files.verify(index_file)
        try:
            flags = faiss.IO_FLAG_MMAP if kind in ("ivf", "rabitq") else 0
            index = faiss.read_index(str(folder / index_file), flags)
        except RuntimeError as exc:  # FAISS reports a missing or damaged file this way
            raise fail(index_file, str(exc).splitlines()[0]) from exc
        try:
            raw = files.raw(rows_file) if files else (folder / rows_file).read_bytes()
            rows = np.load(io.BytesIO(raw))
        except SegmentDamagedError:
            raise
        except (OSError, ValueError) as exc:
            raise fail(rows_file, f"unreadable ({exc})") from exc
        if len(rows) != index.ntotal or len(rows) != int(part["rows"]):
            raise fail(index_file, f"{index.ntotal} vectors for {len(rows)} rows")
        parts.append(StoredPart(str(part["lang"]), rows, index))
    return parts


# --------------------------------------------------------------------------- searching
@dataclass
class _Part:
    """A stored part as the open index uses it: positions mapped to live rows."""

    lang_pos: int
    index: faiss.Index
    #: Live row of every position (-1: its case was deleted).
    live_rows: np.ndarray
    #: Bitmap of the live positions when some are deleted (FAISS skips the others).
    live_bitmap: np.ndarray | None
    live: int
    #: This part's share of its language's rows searched approximately (several parts of
    #: one language, in one segment or in several, share the language's best candidates).
    share: float = 1.0

    @property
    def alive(self) -> np.ndarray:
        return self.live_rows >= 0


def _bitmap(mask: np.ndarray) -> np.ndarray:
    """The bit order FAISS's ``IDSelectorBitmap`` reads (bit ``i & 7`` of byte ``i >> 3``)."""
    return np.packbits(mask, bitorder="little")


def top_k(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best (row, score) pairs, best first; ties by lower row."""
    if len(rows) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        order = part[np.lexsort((rows[part], -scores[part]))]
    else:
        order = np.lexsort((rows, -scores))
    return rows[order], scores[order]


class DenseIndex:
    """The dense side of an open index: an exhaustive pool plus approximate parts.

    Rows are live chunk rows (the searcher's numbering); scores are language-centred.
    """

    def __init__(
        self,
        kind: str,
        dim: int,
        size: int,
        pool: faiss.Index,
        pool_rows: np.ndarray | None,
        parts: list[_Part],
        row_lang: np.ndarray,
        centroids: np.ndarray,
        raw_rows: Callable[[np.ndarray], np.ndarray] | None = None,
        centroid_langs: Sequence[str] = (),
    ) -> None:
        self.kind = kind
        self.dim = dim
        self._size = size
        self.pool = pool
        #: Live row of every pool position (None: position = row, the exhaustive case).
        self.pool_rows = pool_rows
        self._pool_pos: np.ndarray | None = None
        if pool_rows is not None:
            self._pool_pos = np.full(size, -1, dtype=np.int64)
            self._pool_pos[pool_rows] = np.arange(len(pool_rows))
        self.parts = parts
        #: Per live row, the position of its language in ``centroids`` (-1: none).
        self.row_lang = row_lang
        self.centroids = centroids
        self.centroid_langs = list(centroid_langs)
        self._raw_rows = raw_rows
        #: Search breadth of the parts (lists scanned, graph candidates); settable.
        self.nprobe = IVF_NPROBE
        self.ef_search = HNSW_EF_SEARCH
        self.rerank = RABITQ_RERANK

    @property
    def size(self) -> int:
        return self._size

    @property
    def index(self) -> faiss.Index:
        """The exhaustive pool (the whole index for exhaustive kinds)."""
        return self.pool

    def centroid_map(self) -> dict[str, np.ndarray]:
        """The language centroids the scores are centred with."""
        return dict(zip(self.centroid_langs, self.centroids, strict=True))

    @property
    def approximate_rows(self) -> int:
        """Live rows searched approximately (0 for an exhaustive index)."""
        return sum(p.live for p in self.parts)

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> DenseIndex:
        """An exhaustive index over already centred vectors (``flat`` or ``flat32``)."""
        kind = resolve_kind(kind, len(vectors))
        if kind not in EXHAUSTIVE_KINDS:
            raise ValueError(f"use DenseIndex.assemble for the approximate kind {kind!r}")
        dim = vectors.shape[1]
        pool = build_exhaustive(vectors, kind)
        no_lang = np.full(len(vectors), -1, dtype=np.int64)
        return cls(kind, dim, len(vectors), pool, None, [], no_lang, np.zeros((0, dim), "f4"))

    @classmethod
    def assemble(
        cls,
        kind: str,
        vectors: np.ndarray | None,
        langs: Sequence[str],
        centroids: dict[str, np.ndarray],
        segments: Sequence[tuple[np.ndarray, list[StoredPart], int]] = (),
        raw_rows: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> DenseIndex:
        """The dense index of an opened index.

        Args:
            kind: the manifest's dense kind.
            vectors: raw vectors of every live row (float32; centred in place when the whole
                index is exhaustive), or None: read through ``raw_rows``.
            langs: language of every live row.
            centroids: language centroids of the live rows.
            segments: per segment, in order: its live local rows, its stored parts, and its
                stored row count. Empty: ``vectors`` form one segment without parts.
            raw_rows: raw vectors of given live rows, for the pool and for scoring candidates
                found by BM25 in the parts (default: read from ``vectors``).
        """
        n = len(langs)
        if vectors is not None:
            dim = vectors.shape[1] if vectors.ndim == 2 else 0
            if raw_rows is None:
                raw = vectors
                raw_rows = lambda rows: np.asarray(raw[rows], dtype=np.float32)  # noqa: E731
        elif raw_rows is None:
            raise ValueError("vectors or raw_rows are needed")
        else:
            dim = len(next(iter(centroids.values()))) if centroids else 0
        centroid_langs = sorted(centroids)
        lang_pos = {lang: i for i, lang in enumerate(centroid_langs)}
        row_lang = np.asarray([lang_pos.get(lang, -1) for lang in langs], dtype=np.int64)
        matrix = (
            np.stack([centroids[lang] for lang in centroid_langs]).astype(np.float32)
            if centroids
            else np.zeros((0, dim), dtype=np.float32)
        )
        covered = np.zeros(n, dtype=bool)
        parts: list[_Part] = []
        offset = 0
        for live_local, stored, stored_rows in segments:
            local_to_live = np.full(stored_rows, -1, dtype=np.int64)
            local_to_live[live_local] = offset + np.arange(len(live_local))
            for part in stored:
                live_rows = local_to_live[part.rows]
                alive = live_rows >= 0
                covered[live_rows[alive]] = True
                if not alive.any():
                    continue
                parts.append(
                    _Part(
                        lang_pos.get(part.lang, -1),
                        part.index,
                        live_rows,
                        None if alive.all() else _bitmap(alive),
                        int(alive.sum()),
                    )
                )
            offset += len(live_local)
        per_lang: dict[int, int] = {}
        for opened in parts:
            per_lang[opened.lang_pos] = per_lang.get(opened.lang_pos, 0) + opened.live
        for opened in parts:
            opened.share = opened.live / per_lang[opened.lang_pos]
        lang_list = list(langs)
        if parts:
            pool_rows = np.flatnonzero(~covered).astype(np.int64)
            pool_langs = [lang_list[i] for i in pool_rows.tolist()]
            pool_vectors = centre(raw_rows(pool_rows), pool_langs, centroids, inplace=True)
            pool = build_exhaustive(pool_vectors, "flat")
        else:  # exhaustive: the centred vectors themselves (centred in place: no copy)
            pool_rows = None
            whole = vectors if vectors is not None else raw_rows(np.arange(n, dtype=np.int64))
            centred = centre(whole, lang_list, centroids, inplace=True)
            pool = build_exhaustive(centred, kind if kind in EXHAUSTIVE_KINDS else "flat")
            raw_rows = None  # the vectors were centred in place
        return cls(kind, dim, n, pool, pool_rows, parts, row_lang, matrix, raw_rows, centroid_langs)

    # ------------------------------------------------------------------ search
    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` live rows and their centred scores for one query vector.

        Args:
            query: a normalised vector of shape ``(dim,)``.
            k: how many candidates to return.
            allowed: optional sorted int64 array of live rows the result may contain.
        """
        k = min(k, self.size if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        found_rows, found_scores = [], []
        rows, scores = self._search_pool(q, k, allowed)
        found_rows.append(rows)
        found_scores.append(scores)
        if self.parts:
            offsets = self.centroids @ q[0] if len(self.centroids) else np.zeros(0, np.float32)
            mask = None
            if allowed is not None:
                mask = np.zeros(self.size + 1, dtype=bool)  # index -1 (deleted) reads False
                mask[allowed] = True

            def scan(part: _Part) -> tuple[np.ndarray, np.ndarray]:
                rows, scores = self._search_part(part, q, k, mask)
                if part.lang_pos >= 0:
                    scores = scores - offsets[part.lang_pos]
                return rows, scores

            if len(self.parts) > 1 and SCAN_THREADS > 1:  # FAISS releases the GIL
                scanned = list(_scanners().map(scan, self.parts))
            else:
                scanned = [scan(part) for part in self.parts]
            for rows, scores in scanned:
                found_rows.append(rows)
                found_scores.append(scores)
        if len(found_rows) == 1:
            return found_rows[0], found_scores[0]
        return top_k(np.concatenate(found_rows), np.concatenate(found_scores), k)

    def _search_pool(
        self, q: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.pool.ntotal == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed is not None:
            positions = allowed if self._pool_pos is None else self._pool_pos[allowed]
            positions = positions[positions >= 0]
            if len(positions) == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            selector = faiss.IDSelectorBatch(positions.astype(np.int64))
            # faiss's bundled type stubs lack the parameter classes' keyword arguments.
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        scores, ids = self.pool.search(q, min(k, self.pool.ntotal), params=params)
        keep = ids[0] >= 0
        ids, scores = ids[0][keep].astype(np.int64), scores[0][keep]
        if self.pool_rows is not None:
            ids = self.pool_rows[ids]
        return ids, scores

    def _search_part(
        self, part: _Part, q: np.ndarray, k: int, allowed_mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(part.index, faiss.IndexRaBitQFastScan):
            return self._search_codes(part, q, k, allowed_mask)
        bitmap, count = part.live_bitmap, part.live
        if allowed_mask is not None:
            usable = allowed_mask[part.live_rows]
            count = int(usable.sum())
            bitmap = _bitmap(usable) if count < len(usable) else None
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # A filter leaves a share of every list; scan proportionally more of them.
        widen = len(part.live_rows) / count
        selector = None
        if bitmap is not None:  # FAISS keeps a pointer: ``bitmap`` outlives the search below
            selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
        # faiss's bundled type stubs lack these parameter classes' keyword arguments.
        if isinstance(part.index, faiss.IndexHNSW):
            params: faiss.SearchParameters = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
                efSearch=max(k, math.ceil(self.ef_search * min(widen, 8.0)))
            )
        else:
            ivf = faiss.extract_index_ivf(part.index)
            params = faiss.SearchParametersIVF(  # type: ignore[call-arg]
                nprobe=min(ivf.nlist, math.ceil(self.nprobe * widen))
            )
        if selector is not None:
            params.sel = selector
        scores, ids = part.index.search(q, min(k, count), params=params)
        keep = ids[0] >= 0
        return part.live_rows[ids[0][keep]], scores[0][keep]

    def _search_codes(
        self, part: _Part, q: np.ndarray, k: int, allowed_mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scan a part's compact codes, re-score the best ``k · rerank`` exactly.

        FAISS cannot skip rows while scanning these codes, so deleted and filtered-out rows
        are dropped from the candidates, whose number grows in proportion.
        """
        usable = part.alive if allowed_mask is None else allowed_mask[part.live_rows]
        count = part.live if allowed_mask is None else int(usable.sum())
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        positions = len(part.live_rows)
        # A part holds about its share of the language's best candidates: it re-scores that
        # share of k · rerank (with a margin), never fewer than k · RABITQ_PART_RERANK.
        share = min(1.0, part.share * RABITQ_PART_MARGIN)
        wanted = math.ceil(k * max(self.rerank * share, min(self.rerank, RABITQ_PART_RERANK)))
        if count <= max(wanted, EXACT_ROWS):
            found = np.flatnonzero(usable)
        else:
            fetch = min(positions, math.ceil(wanted * positions / count))
            _, ids = part.index.search(q, fetch)
            found = ids[0][ids[0] >= 0]
            found = found[usable[found]]
        rows = part.live_rows[found]
        scores = _dot(self.raw_vectors(rows), q[0])
        return top_k(rows, scores, min(k, len(rows)))

    def score_rows(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Centred scores of given live rows (candidates that BM25 found and FAISS did not)."""
        out = np.zeros(len(rows), dtype=np.float32)
        if len(rows) == 0:
            return out
        rows = np.asarray(rows, dtype=np.int64)
        in_pool = (
            np.ones(len(rows), dtype=bool)
            if self._pool_pos is None
            else (self._pool_pos[rows] >= 0)
        )
        if in_pool.any():
            positions = rows[in_pool] if self._pool_pos is None else self._pool_pos[rows[in_pool]]
            out[in_pool] = self.pool.reconstruct_batch(positions) @ query
        if not in_pool.all():
            other = rows[~in_pool]
            scores = _dot(self.raw_vectors(other), query)
            lang = self.row_lang[other]
            if len(self.centroids):
                shift = self.centroids @ query
                scores = scores - np.where(lang >= 0, shift[np.maximum(lang, 0)], 0.0)
            out[~in_pool] = scores
        return out

    def raw_vectors(self, rows: np.ndarray) -> np.ndarray:
        """Stored raw (not centred) vectors of live rows of an approximate index."""
        if self._raw_rows is None:
            raise ValueError("raw vectors are kept for approximate indexes only")
        return self._raw_rows(np.asarray(rows, dtype=np.int64))

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """Stored (centred) vectors of ``rows`` of an exhaustive index."""
        if len(rows) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.pool_rows is not None:
            raise ValueError("reconstruct works on exhaustive indexes; use score_rows")
        return self.pool.reconstruct_batch(np.asarray(rows, dtype=np.int64))


def open_dense(
    folder: Path,
    segments: Sequence[SegmentEntry],
    kind: str,
    live: LiveView,
    langs: Sequence[str],
) -> DenseIndex:
    """The dense index of the index in ``folder``, as its manifest lists the segments.

    Args:
        folder: the index folder.
        segments: the manifest's segment entries.
        kind: the manifest's dense kind.
        live: the live rows (:func:`index.storage.segments.load_live`). An exhaustive index
            is laid out from ``live.vectors`` (centred in place); an approximate one leaves its
            vectors memory-mapped on disk (``live.segment_vectors``: centroids are summed block
            by block, the pool is gathered, BM25's candidates are read row by row).
        langs: language of every live row.

    Raises:
        SegmentDamagedError: a stored approximate index is missing, damaged, or does not
            match its manifest entry.
    """
    if kind not in APPROXIMATE_KINDS:
        if len(live.vectors) != len(langs):
            raise ValueError(f"an exhaustive ({kind}) index is laid out from its vectors")
        centroids = language_centroids(live.vectors, list(langs))
        return DenseIndex.assemble(kind, live.vectors, langs, centroids)
    kept_rows, mapped = live.kept_rows, live.segment_vectors
    stored = [read_segment_parts(folder / entry.name, kind, entry) for entry in segments]
    layout = [
        (kept, parts, entry.chunks)
        for kept, parts, entry in zip(kept_rows, stored, segments, strict=True)
    ]
    starts = np.cumsum([0] + [len(kept) for kept in kept_rows])
    dim = mapped[0].shape[1] if mapped else 0

    def raw_rows(rows: np.ndarray) -> np.ndarray:
        """Raw vectors of live rows, read from the segments' memory-mapped vector files."""
        out = np.zeros((len(rows), dim), dtype=np.float32)
        seg = np.searchsorted(starts, rows, side="right") - 1
        for s in np.unique(seg).tolist():
            pick = seg == s
            local = kept_rows[s][rows[pick] - starts[s]]
            order = np.argsort(local)  # rows in file order
            block = np.empty((len(local), dim), dtype=np.float32)
            block[order] = mapped[s][local[order]]
            out[pick] = block
        return out

    centroids = _streamed_centroids(mapped, kept_rows, langs)
    return DenseIndex.assemble(kind, None, langs, centroids, layout, raw_rows)


def _streamed_centroids(
    mapped: Sequence[np.ndarray], kept_rows: Sequence[np.ndarray], langs: Sequence[str]
) -> dict[str, np.ndarray]:
    """Language centroids of the live rows, reading the mapped vectors a block at a time."""
    names = sorted(set(langs))
    code = {lang: i for i, lang in enumerate(names)}
    codes = np.asarray([code[lang] for lang in langs], dtype=np.int64)
    dim = mapped[0].shape[1] if mapped else 0
    sums = np.zeros((len(names), dim), dtype=np.float64)
    offset, step = 0, 65_536
    for vectors, kept in zip(mapped, kept_rows, strict=True):
        for begin in range(0, len(kept), step):
            rows = kept[begin : begin + step]
            block = np.asarray(vectors[rows], dtype=np.float32)
            block_codes = codes[offset + begin : offset + begin + len(rows)]
            one_hot = (block_codes[:, None] == np.arange(len(names))[None, :]).astype(np.float32)
            sums += one_hot.T @ block
        offset += len(kept)
    counts = np.bincount(codes, minlength=len(names))
    return centroids_from_sums(
        {lang: sums[i] for i, lang in enumerate(names)},
        {lang: int(counts[i]) for i, lang in enumerate(names)},
    )


_SCANNERS: ThreadPoolExecutor | None = None


def _scanners() -> ThreadPoolExecutor:
    """The threads that scan an approximate index's parts (one pool per process)."""
    global _SCANNERS
    if _SCANNERS is None:
        # OpenMP's thread count is per thread: without this, FAISS in a new thread would
        # start a team of its own whose idle workers spin, slowing every other stage.
        _SCANNERS = ThreadPoolExecutor(
            SCAN_THREADS,
            thread_name_prefix="casesearch-scan",
            initializer=faiss.omp_set_num_threads,
            initargs=(1,),
        )
    return _SCANNERS


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` on this thread.

    numpy hands a product of a few thousand rows to a multi-threaded BLAS, which on a busy
    machine took 8x longer than this single-threaded loop (2 ms for 5,000 rows here).
    """
    return np.einsum("ij,j->i", matrix, vector).astype(np.float32, copy=False)
