"""Build (or update) the search index of a data directory from its case store.

Incremental by construction, at two levels:

* **Cases.** Every case has a fingerprint (its record, chunk layout and the model). Cases whose
  fingerprint is in the index are left where they are; new and changed cases are written to a
  new small segment, and changed or removed ones are marked deleted (see
  :mod:`index.segments`). Adding one document to a large index therefore touches that document
  only. When deleted rows or segments pile up, the next build merges everything into one
  segment (a *full* build), and so does ``rebuild`` or a switch to an approximate index.
* **Chunks.** Embeddings and BM25 postings are cached under a hash of the chunk's text and the
  model id, so even a full build embeds and analyses only new or changed chunks. Vectors of a
  build that never committed are found in the embedding cache (:mod:`.embedding_cache`).

Only embedding goes through an engine (:mod:`.engines`: this process, or a Ray cluster); every
finished batch is saved to the embedding cache at once, and everything else runs here.

Every version of the index is written aside and swapped in, so an interrupted build leaves the
previous index usable.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from casesearch.core.atomic import recover_dir, staged_dir
from casesearch.core.collector import collector_paused
from casesearch.core.lock import writer_lock
from casesearch.core.progress import Progress, no_progress
from casesearch.index.model.embedder import Embedder
from casesearch.index.storage.dense import (
    APPROXIMATE_KINDS,
    StoredPart,
    build_segment_parts,
    resolve_kind,
    write_segment_parts,
)
from casesearch.index.storage.embedding_cache import EmbeddingCache
from casesearch.index.storage.engines import EmbeddingEngine, LocalEngine
from casesearch.index.storage.lexical import BM25_B, BM25_K1, Postings
from casesearch.index.storage.manifest import (
    FORMAT_VERSION,
    IndexDamagedError,
    IndexError_,
    Manifest,
)
from casesearch.index.storage.records import (
    ChunkTable,
    SegmentEntry,
    case_to_json,
    index_case,
    live_mask,
)
from casesearch.index.storage.segments import (
    CASE_KEYS,
    HASHES,
    CaseIndexEntry,
    Segment,
    SegmentDamagedError,
    SegmentFiles,
    case_index_from,
    case_of_rows,
    link_segment,
    read_vectors,
    segment_name,
    with_checksums,
    write_segment,
)
from casesearch.ingest.model import Case, chunk_text_for_embedding

INDEX_DIRNAME = "index"

#: A full (merging) build replaces appending once this share of stored chunks is deleted ...
MAX_DELETED_SHARE = 0.25
#: ... or once the index has this many segments.
MAX_SEGMENTS = 8
#: An approximate index instead folds the segments after its first into one new segment (a
#: full build would train its FAISS indexes again), as long as they hold at most this share of
#: the first segment's chunks.
FOLD_SHARE = 0.25


@dataclass
class BuildReport:
    """What an index build did; printed by ``casesearch index``."""

    cases: int = 0
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    #: Of ``reused``: vectors an earlier, unfinished build had embedded (embedding cache).
    resumed: int = 0
    removed: int = 0
    #: ``full`` (one new segment for everything), ``append`` (a segment for what changed),
    #: or ``unchanged`` (nothing to write).
    mode: str = "full"
    segments: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    index_dir: str = ""
    #: What was found damaged in the previous index and indexed again instead of reused.
    repaired: list[str] = field(default_factory=list)
    #: Where chunks were embedded (see :meth:`.engines.EmbeddingEngine.describe`), and how
    #: many each worker embedded.
    engine: str = "local"
    workers: dict[str, int] = field(default_factory=dict)

    @property
    def chunks_per_second(self) -> float:
        """Embedding throughput of this build (0 when nothing was embedded)."""
        seconds = self.seconds.get("embed", 0.0)
        return self.embedded / seconds if self.embedded and seconds > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def index_dir(data_dir: Path) -> Path:
    """The folder holding the live index of a data directory."""
    return data_dir / INDEX_DIRNAME


def chunk_hash(model_id: str, text: str) -> str:
    """Cache key of a chunk embedding: the exact text embedded and the model that did it."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]


def corpus_fingerprint(hashes: list[str]) -> str:
    """Order-sensitive digest of all chunk hashes: equal fingerprints, equal index content."""
    digest = hashlib.sha256()
    for h in hashes:
        digest.update(h.encode())
    return digest.hexdigest()[:16]


def case_fingerprint(model_id: str, case: Case) -> str:
    """Digest of everything the index stores about a case: equal digest, nothing to redo."""
    record = case_to_json(case)
    meta = {k: v for k, v in record.items() if k != "text"}  # the text is hashed as it is
    layout = [[c.start, c.end, c.section, c.lang, c.id] for c in case.chunks]
    digest = hashlib.sha256(json.dumps([FORMAT_VERSION, model_id, meta, layout]).encode())
    digest.update(case.text.encode())
    return digest.hexdigest()[:32]


def _count_languages(langs: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for lang in langs:
        out[lang] = out.get(lang, 0) + 1
    return out


# --------------------------------------------------------------------------- previous index
class _Previous:
    """The index being updated: its manifest, live cases, and cached vectors and postings.

    Every segment is checked first (sizes and checksums of all its files against the
    manifest, the shapes of what the update reads); a damaged segment is left out, as if it
    had never been written, so its cases are indexed again and nothing is taken from it.
    """

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        #: The manifest as read, damaged segments included (for numbering new segments).
        self.original = manifest
        #: One line per damaged segment: which file and what is wrong with it.
        self.damaged: list[str] = []
        #: case id -> (segment position, local case index, fingerprint), live cases only.
        self.live: dict[str, tuple[int, int, str]] = {}
        #: chunk hash -> (segment position, row), every stored chunk (live or deleted).
        self.where: dict[str, tuple[int, int]] = {}
        self.hashes: list[list[str]] = []
        self.chunk_cases: list[np.ndarray] = []
        #: per segment, per case: its chunk count by language.
        self.case_langs: list[list[dict[str, int]]] = []
        self.stored_chunks = 0
        self.deleted_chunks = 0
        #: per segment: stored and deleted chunks.
        self.segment_chunks: list[tuple[int, int]] = []
        intact: list[SegmentEntry] = []
        for entry in manifest.segments:
            try:
                hashes, cases = _check_segment(folder / entry.name, entry, manifest.dim)
            except SegmentDamagedError as exc:
                self.damaged.append(f"{exc}; its cases were indexed again")
                continue
            pos = len(intact)
            intact.append(entry)
            chunk_cases = case_of_rows(cases)
            deleted = set(entry.deleted_cases)
            for local, case in enumerate(cases):
                if local not in deleted:
                    self.live[case.id] = (pos, local, case.fingerprint)
            for row, h in enumerate(hashes):
                self.where.setdefault(h, (pos, row))
            self.hashes.append(hashes)
            self.chunk_cases.append(chunk_cases)
            self.case_langs.append([c.langs for c in cases])
            dead = int((~live_mask(chunk_cases, deleted)).sum())
            self.stored_chunks += len(hashes)
            self.deleted_chunks += dead
            self.segment_chunks.append((len(hashes), dead))
        #: The manifest without the damaged segments: what the update builds on.
        self.manifest = replace(manifest, segments=intact)
        self._vectors: dict[int, np.ndarray] = {}
        self._postings: dict[int, Postings] = {}

    def case_size(self, pos: int, local: int) -> int:
        """Number of chunks of case ``local`` of segment ``pos``."""
        return sum(self.case_langs[pos][local].values())

    def segment_dir(self, pos: int) -> Path:
        return self.folder / self.manifest.segments[pos].name

    def vectors(self, pos: int) -> np.ndarray:
        if pos not in self._vectors:
            self._vectors[pos] = read_vectors(self.segment_dir(pos))
        return self._vectors[pos]

    def postings(self, pos: int) -> Postings:
        if pos not in self._postings:
            self._postings[pos] = Postings.load(self.segment_dir(pos))
        return self._postings[pos]

    def live_hashes(
        self, segments: list[SegmentEntry] | None = None, positions: list[int] | None = None
    ) -> list[str]:
        """Chunk hashes of the live rows, by the deletions of ``segments`` (default: now).

        ``positions``: which stored segments ``segments`` are (default: the first ones).
        """
        entries = segments or self.manifest.segments
        out: list[str] = []
        for pos, entry in zip(positions or range(len(entries)), entries, strict=True):
            keep = live_mask(self.chunk_cases[pos], entry.deleted_cases)
            out.extend(h for h, k in zip(self.hashes[pos], keep.tolist(), strict=True) if k)
        return out


def _check_segment(
    seg: Path, entry: SegmentEntry, dim: int
) -> tuple[list[str], list[CaseIndexEntry]]:
    """Check a segment before an update builds on it; return its hashes and case index.

    Raises:
        SegmentDamagedError: a file is missing, or its size or checksum differs from the
            manifest, or what the update reads does not fit the entry.
    """
    files = SegmentFiles(seg, entry)
    files.verify_all()
    hashes = files.json(HASHES)
    if not isinstance(hashes, list) or len(hashes) != entry.chunks:
        raise SegmentDamagedError(f"{entry.name}/{HASHES}: does not list {entry.chunks} hashes")
    cases = files.parse(CASE_KEYS, lambda data: case_index_from(json.loads(data)))
    if len(cases) != entry.cases or sum(c.size for c in cases) != entry.chunks:
        raise SegmentDamagedError(f"{entry.name}/{CASE_KEYS}: does not fit the manifest")
    files.vectors(dim)  # the header: shape and size against the manifest
    return [str(h) for h in hashes], cases


def _open_previous(folder: Path, model_id: str, notes: list[str]) -> _Previous | None:
    """The current index if it can be updated in place (same model and format).

    A damaged manifest is noted in ``notes`` (the index is then built anew).
    """
    recover_dir(folder)
    try:
        manifest = Manifest.load(folder)
    except IndexDamagedError as exc:
        notes.append(f"{exc.what}; the whole index was built anew")
        return None
    except IndexError_:
        return None
    if manifest.model_id != model_id:
        return None
    return _Previous(folder, manifest)


# --------------------------------------------------------------------------- new content
@dataclass
class _Batch:
    """Cases to write into one new segment, with their chunk texts and hashes."""

    cases: list[Case]
    chunks: ChunkTable
    keys: list[tuple[str, str]]
    texts: list[str]
    hashes: list[str]


@dataclass
class _Job:
    """One build: the cases with their fingerprints, and how to embed."""

    folder: Path
    cases: list[Case]
    keys: list[tuple[str, str]]
    embedder: Embedder
    backend: str | None
    precomputed: Mapping[str, np.ndarray] | None
    previous: _Previous | None
    report: BuildReport
    engine: EmbeddingEngine
    cache: EmbeddingCache
    on_progress: Progress


def _batch(job: _Job, which: list[int]) -> _Batch:
    """Collect cases ``which`` for a new segment; only here are chunk texts built and hashed."""
    cases: list[Case] = []
    tables: list[ChunkTable] = []
    keys: list[tuple[str, str]] = []
    texts: list[str] = []
    model_id = job.embedder.model_id
    for i in which:
        case = job.cases[i]
        tables.append(ChunkTable.of_case(case.chunks, len(cases)))
        cases.append(index_case(case))
        keys.append(job.keys[i])
        texts.extend(chunk_text_for_embedding(case, chunk) for chunk in case.chunks)
    hashes = [chunk_hash(model_id, text) for text in texts]
    return _Batch(cases, ChunkTable.concat(tables), keys, texts, hashes)


def _embed(job: _Job, texts: list[str], hashes: list[str]) -> np.ndarray:
    """Embed ``texts`` with the job's engine, saving each finished batch to the cache."""
    total = len(texts)
    vectors = np.zeros((total, job.embedder.dim), dtype=np.float32)
    done = np.zeros(total, dtype=bool)
    job.on_progress("embed", 0, total)
    for batch in job.engine.embed_documents(texts):
        vectors[batch.rows] = batch.vectors
        done[batch.rows] = True
        job.cache.add([hashes[i] for i in batch.rows.tolist()], batch.vectors)
        workers = job.report.workers
        workers[batch.worker] = workers.get(batch.worker, 0) + len(batch.rows)
        job.on_progress("embed", int(done.sum()), total)
    if not done.all():
        raise RuntimeError(f"the {job.engine.name} engine returned {int(done.sum())} of {total}")
    job.report.engine = job.engine.describe()
    return vectors


def _segment_for(job: _Job, batch: _Batch) -> Segment:
    """Vectors and postings for a batch: cached where possible, computed otherwise."""
    previous, precomputed, report = job.previous, job.precomputed, job.report
    n = len(batch.hashes)
    vectors = np.zeros((n, job.embedder.dim), dtype=np.float32)
    missing = []
    from_previous: dict[int, list[tuple[int, int]]] = {}  # segment -> [(new row, old row)]
    for i, h in enumerate(batch.hashes):
        if previous is not None and h in previous.where:
            pos, row = previous.where[h]
            from_previous.setdefault(pos, []).append((i, row))
        elif precomputed is not None and h in precomputed:
            vectors[i] = precomputed[h]
        else:
            missing.append(i)
    found, cached = job.cache.lookup([batch.hashes[i] for i in missing])
    for i, vector in zip(np.asarray(missing)[found].tolist(), cached[found], strict=True):
        vectors[i] = vector
    report.resumed = int(found.sum())
    missing = [i for i, hit in zip(missing, found.tolist(), strict=True) if not hit]
    t0 = time.perf_counter()
    fresh = _embed(job, [batch.texts[i] for i in missing], [batch.hashes[i] for i in missing])
    report.seconds["embed"] = time.perf_counter() - t0
    if missing:
        vectors[np.asarray(missing)] = fresh
    report.embedded = len(missing)

    t0 = time.perf_counter()
    parts: list[Postings] = []
    order: list[int] = []
    for pos, pairs in sorted(from_previous.items()):
        assert previous is not None
        new_rows = np.asarray([p[0] for p in pairs], dtype=np.int64)
        old_rows = np.asarray([p[1] for p in pairs], dtype=np.int64)
        vectors[new_rows] = previous.vectors(pos)[old_rows]
        parts.append(previous.postings(pos).take(old_rows))
        order.extend(new_rows.tolist())
    taken = set(order)
    rest = [i for i in range(n) if i not in taken]
    if rest:
        langs = [str(batch.chunks.lang[i]) for i in rest]
        parts.append(Postings.from_texts([batch.texts[i] for i in rest], langs))
        order.extend(rest)
    postings = Postings.concat(parts) if parts else Postings.from_tokens([])
    inverse = np.empty(n, dtype=np.int64)
    inverse[np.asarray(order, dtype=np.int64)] = np.arange(n)
    postings = postings.take(inverse) if n else postings
    report.seconds["bm25"] = time.perf_counter() - t0
    return Segment(vectors, batch.hashes, batch.chunks, batch.cases, batch.keys, postings)


def _manifest(
    job: _Job,
    dense_kind: str,
    segments: list[SegmentEntry],
    hashes: list[str],
    languages: dict[str, int],
) -> Manifest:
    info = job.embedder.info
    return Manifest(
        format_version=FORMAT_VERSION,
        model_id=job.embedder.model_id,
        dim=job.embedder.dim,
        prompts=info.prompts,
        backend=job.backend or info.backend,
        quantization=info.quantization,
        vector_space=info.vector_space,
        dense_kind=dense_kind,
        chunks=len(hashes),
        cases=len(job.cases),
        corpus_fingerprint=corpus_fingerprint(hashes),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        languages=languages,
        settings={"bm25": {"k1": BM25_K1, "b": BM25_B}, "dense_vectors": "language-centred"},
        segments=segments,
    )


# --------------------------------------------------------------------------- build
def build_index(
    cases: list[Case],
    data_dir: Path,
    embedder: Embedder,
    *,
    dense_kind: str = "auto",
    backend: str | None = None,
    rebuild: bool = False,
    batch_size: int = 32,
    precomputed: Mapping[str, np.ndarray] | None = None,
    on_progress: Progress | None = None,
    engine: EmbeddingEngine | None = None,
) -> BuildReport:
    """Embed and index ``cases`` into ``data_dir/index``, reusing what is already indexed.

    Most callers want :func:`casesearch.index.update.update_index`, which ingests files
    first and prepares sentence vectors after.

    Args:
        cases: the cases of the store, with their chunks.
        data_dir: the data directory.
        embedder: the loaded model.
        dense_kind: ``flat``, ``flat32`` (exhaustive), ``ivf``, ``hnsw`` (approximate) or
            ``auto`` (by size; see :mod:`..storage.dense`).
        backend: recorded in the manifest (which runtime produced the vectors); defaults
            to the embedder's own.
        rebuild: ignore everything cached, embed and analyse every chunk again.
        batch_size: texts per model call.
        precomputed: extra cached embeddings by :func:`chunk_hash`. Lets a caller that
            already holds vectors (an import, the scale benchmark) index without embedding
            again; they must come from ``embedder``.
        on_progress: told ``("embed", done, total)`` while passages are embedded.
        engine: where passages are embedded (default: ``embedder`` in this process, in
            ``batch_size`` steps); its vectors must come from ``embedder``'s model.
    """
    with writer_lock(data_dir, purpose="an index build"), collector_paused():
        return _build(
            cases, data_dir, embedder, dense_kind=dense_kind, backend=backend, rebuild=rebuild,
            precomputed=precomputed, on_progress=on_progress or no_progress,
            engine=engine or LocalEngine(embedder, batch_size=batch_size),
        )  # fmt: skip


def _build(
    cases: list[Case],
    data_dir: Path,
    embedder: Embedder,
    *,
    dense_kind: str,
    backend: str | None,
    rebuild: bool,
    precomputed: Mapping[str, np.ndarray] | None,
    on_progress: Progress,
    engine: EmbeddingEngine,
) -> BuildReport:
    report = BuildReport(
        seconds={"embed": 0.0, "dense": 0.0, "bm25": 0.0, "save": 0.0}, engine=engine.name
    )
    folder = index_dir(data_dir)
    started = time.perf_counter()
    model_id = embedder.model_id
    notes: list[str] = []
    previous = None if rebuild else _open_previous(folder, model_id, notes)
    if previous is not None:
        notes.extend(previous.damaged)
    report.repaired = notes

    keys = [(c.id, case_fingerprint(model_id, c)) for c in cases]
    n_chunks = sum(len(c.chunks) for c in cases)
    kind = resolve_kind(dense_kind, n_chunks)
    unique_ids = len({c.id for c in cases}) == len(cases)

    kept: set[str] = set()
    if previous is not None and unique_ids:
        kept = {cid for cid, fp in keys if previous.live.get(cid, (0, 0, ""))[2] == fp}
    appendable = previous is not None and unique_ids and previous.manifest.dense_kind == kind
    fold: set[int] = set()
    if previous is not None and appendable and len(previous.manifest.segments) >= MAX_SEGMENTS:
        fold = _foldable(previous) if kind in APPROXIMATE_KINDS else set()
        appendable = bool(fold)
    if previous is not None and fold:  # live cases of folded segments go to the new one
        kept -= {cid for cid in kept if previous.live[cid][0] in fold}
    new_idx = [i for i, (cid, _) in enumerate(keys) if cid not in kept]
    if appendable:
        assert previous is not None
        gone = [v for cid, v in previous.live.items() if cid not in kept and v[0] not in fold]
        gone_chunks = sum(previous.case_size(pos, local) for pos, local, _ in gone)
        new_chunks = sum(len(cases[i].chunks) for i in new_idx)
        folded = [previous.segment_chunks[pos] for pos in fold]
        deleted_after = previous.deleted_chunks - sum(d for _, d in folded) + gone_chunks
        stored_after = previous.stored_chunks - sum(n for n, _ in folded) + new_chunks
        appendable = deleted_after <= MAX_DELETED_SHARE * max(stored_after, 1)
    report.seconds["prepare"] = time.perf_counter() - started

    cache = EmbeddingCache.open(data_dir, model_id, embedder.dim, read=not rebuild)
    job = _Job(
        folder, cases, keys, embedder, backend, precomputed, previous, report, engine, cache,
        on_progress,
    )  # fmt: skip
    if appendable:
        _append(job, new_idx, kept, fold)
    else:
        _full(job, kind)
    cache.clear()  # committed (or nothing to commit): its vectors now live in the index
    report.reused = report.chunks - report.embedded
    report.seconds["total"] = time.perf_counter() - started
    report.index_dir = str(folder)
    return report


def _foldable(previous: _Previous) -> set[int]:
    """Segments after the first, if together they are small enough to fold into a new one."""
    sizes = [n for n, _ in previous.segment_chunks]
    if sum(sizes[1:]) > FOLD_SHARE * sizes[0]:
        return set()
    return set(range(1, len(sizes)))


def _parts(job: _Job, kind: str, segment: Segment) -> list[StoredPart]:
    """The approximate indexes of a new segment (none for exhaustive kinds)."""
    t0 = time.perf_counter()
    langs = [str(lang) for lang in segment.chunks.lang.tolist()]
    parts = build_segment_parts(segment.vectors, langs, kind)
    job.report.seconds["dense"] += time.perf_counter() - t0
    return parts


def _full(job: _Job, kind: str) -> None:
    """Write the whole index as one segment (first build, merge, rebuild, new index kind)."""
    previous, report, cases = job.previous, job.report, job.cases
    batch = _batch(job, list(range(len(cases))))
    segment = _segment_for(job, batch)
    langs = [str(lang) for lang in batch.chunks.lang.tolist()]
    parts = _parts(job, kind, segment)
    if previous is not None:
        live_before = previous.live_hashes()
        report.removed = len(set(live_before) - set(batch.hashes))
    name = segment_name(_next_number(job.folder, previous))
    report.mode = "full"
    report.languages = _count_languages(langs)
    report.cases, report.chunks, report.segments = len(cases), len(batch.hashes), 1
    manifest = _manifest(job, kind, [_segment_entry(name, batch)], batch.hashes, report.languages)
    _write(job, lambda tmp: _write_full(tmp, name, segment, parts, manifest))


def _write_full(
    tmp: Path, name: str, segment: Segment, parts: list[StoredPart], manifest: Manifest
) -> None:
    write_segment(tmp / name, segment)
    write_segment_parts(tmp / name, manifest.dense_kind, parts)
    manifest.segments[0] = with_checksums(tmp / name, manifest.segments[0])
    manifest.save(tmp)  # written last: a folder without it is never a valid index


def _write(job: _Job, fill: Callable[[Path], None]) -> None:
    """Fill a staged copy of the index folder and swap it in."""
    t0 = time.perf_counter()
    job.on_progress("save", 0, 1)
    with staged_dir(job.folder) as tmp:
        fill(tmp)
    job.on_progress("save", 1, 1)
    job.report.seconds["save"] = time.perf_counter() - t0


def _segment_entry(name: str, batch: _Batch) -> SegmentEntry:
    """A new segment's line in the manifest; ``fingerprint`` names its content."""
    return SegmentEntry(
        name=name,
        chunks=len(batch.hashes),
        cases=len(batch.cases),
        fingerprint=corpus_fingerprint(batch.hashes),
    )


def _next_number(folder: Path, previous: _Previous | None) -> int:
    """A segment number never used in this index folder before.

    Names are never reused for other content, so a reader holding an older manifest can
    never open a newer version's file under a name it knows (see :mod:`.snapshot`).
    """
    numbers = [0]
    if previous is not None:
        numbers += [int(s.name.rsplit("-", 1)[-1]) for s in previous.original.segments]
    if folder.is_dir():
        numbers += [int(p.name[4:]) for p in folder.glob("seg-*") if p.name[4:].isdigit()]
    return max(numbers) + 1


def _append(job: _Job, new_idx: list[int], kept: set[str], fold: set[int]) -> None:
    """Keep the unchanged cases where they are; add a segment for new and changed ones.

    The segments in ``fold`` are dropped: their live cases are among ``new_idx``.
    """
    previous, report = job.previous, job.report
    assert previous is not None
    manifest = previous.manifest
    stay = [pos for pos in range(len(manifest.segments)) if pos not in fold]
    gone = [(pos, local) for cid, (pos, local, _) in previous.live.items() if cid not in kept]
    newly_deleted: dict[int, set[int]] = {}
    for pos, local in gone:
        newly_deleted.setdefault(pos, set()).add(local)
    segments = [manifest.segments[pos].with_deleted(newly_deleted.get(pos, ())) for pos in stay]
    batch = _batch(job, new_idx)
    segment = None
    parts: list[StoredPart] = []
    if batch.cases:
        segment = _segment_for(job, batch)
        parts = _parts(job, manifest.dense_kind, segment)
        segments.append(_segment_entry(segment_name(_next_number(job.folder, previous)), batch))
    # Only what changed was hashed above; the hashes of kept cases come from the segments.
    live_before = previous.live_hashes()
    live_after = previous.live_hashes(segments[: len(stay)], stay) + batch.hashes
    languages: dict[str, int] = {}
    for pos, entry in zip(stay, segments[: len(stay)], strict=True):
        for local, counts in enumerate(previous.case_langs[pos]):
            if local not in entry.deleted_cases:
                for lang, n in counts.items():
                    languages[lang] = languages.get(lang, 0) + n
    for lang in batch.chunks.lang.tolist():
        languages[str(lang)] = languages.get(str(lang), 0) + 1
    report.removed = len(set(live_before) - set(live_after))
    report.languages = dict(sorted(languages.items()))
    report.cases, report.chunks, report.segments = len(job.cases), len(live_after), len(segments)
    new_manifest = _manifest(job, manifest.dense_kind, segments, live_after, report.languages)
    same_runtime = all(
        getattr(new_manifest, key) == getattr(manifest, key)
        for key in ("backend", "quantization", "vector_space", "prompts", "settings")
    )
    report.mode = "append" if (batch.cases or gone or fold or previous.damaged) else "unchanged"
    if report.mode == "unchanged" and same_runtime:
        return

    def fill(tmp: Path) -> None:
        for pos, entry in enumerate(segments[: len(stay)]):
            link_segment(previous.folder / entry.name, tmp / entry.name)
            if not entry.files:  # written before checksums were kept: record them now
                new_manifest.segments[pos] = with_checksums(tmp / entry.name, segments[pos])
        if segment is not None:
            write_segment(tmp / segments[-1].name, segment)
            write_segment_parts(tmp / segments[-1].name, manifest.dense_kind, parts)
            new_manifest.segments[-1] = with_checksums(tmp / segments[-1].name, segments[-1])
        new_manifest.save(tmp)  # written last: a folder without it is never a valid index

    _write(job, fill)
