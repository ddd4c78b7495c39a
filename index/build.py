"""Build (or update) the search index of a data directory from its case store.

Incremental by construction: every chunk's embedding is cached under a hash of its text and the
model id, taken from the previous index, so re-indexing embeds only new or changed chunks, and
removed cases simply leave. The whole index folder is written aside and swapped in, so an
interrupted build leaves the previous index usable.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from casesearch.atomic import recover_dir, staged_dir
from index.centering import centre, language_centroids
from index.dense import DenseIndex
from index.embedder import Embedder
from index.lexical import LexicalIndex
from index.manifest import FORMAT_VERSION, IndexError_, Manifest
from ingest.model import Case, chunk_text_for_embedding

INDEX_DIRNAME = "index"
VECTORS = "vectors.npy"
HASHES = "hashes.json"
CHUNKS = "chunks.json"
CASES = "cases.json"
DENSE = "dense.faiss"
LEXICAL = "bm25"
CENTROIDS = "centroids.json"


@dataclass
class BuildReport:
    """What an index build did; printed by ``casesearch index``."""

    cases: int = 0
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    removed: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    index_dir: str = ""
    ingest: dict[str, object] | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def index_dir(data_dir: Path) -> Path:
    """The folder holding the live index of a data directory."""
    return data_dir / INDEX_DIRNAME


def chunk_hash(model_id: str, text: str) -> str:
    """Cache key of a chunk embedding: the exact text embedded and the model that did it."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]


def _previous_vectors(folder: Path, model_id: str) -> dict[str, np.ndarray]:
    """Embeddings of the previous index by chunk hash (empty if none or another model)."""
    recover_dir(folder)
    try:
        manifest = Manifest.load(folder)
    except IndexError_:
        return {}
    if manifest.model_id != model_id or not (folder / VECTORS).exists():
        return {}
    try:
        hashes = json.loads((folder / HASHES).read_text(encoding="utf-8"))
        vectors = np.load(folder / VECTORS, mmap_mode="r")
    except (OSError, ValueError):
        return {}
    if len(hashes) != len(vectors):
        return {}
    return {h: vectors[i] for i, h in enumerate(hashes)}


def _case_record(case: Case) -> dict[str, object]:
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


def corpus_fingerprint(hashes: list[str]) -> str:
    """Order-sensitive digest of all chunk hashes: equal fingerprints, equal index content."""
    digest = hashlib.sha256()
    for h in hashes:
        digest.update(h.encode())
    return digest.hexdigest()[:16]


def build_index(
    cases: list[Case],
    data_dir: Path,
    embedder: Embedder,
    *,
    dense_kind: str = "auto",
    backend: str | None = None,
    rebuild: bool = False,
    progress: bool = False,
    batch_size: int = 32,
    precomputed: Mapping[str, np.ndarray] | None = None,
) -> BuildReport:
    """Embed and index ``cases`` into ``data_dir/index``, reusing cached embeddings.

    Args:
        cases: the cases of the store (``ingest.store.load_store(data_dir).cases``).
        data_dir: the data directory.
        embedder: the loaded model.
        dense_kind: ``flat`` (exact), ``hnsw`` (approximate) or ``auto`` (by size).
        backend: recorded in the manifest (which runtime produced the vectors); defaults
            to the embedder's own.
        rebuild: ignore cached embeddings and embed everything again.
        progress: show a progress bar while embedding.
        batch_size: texts per model call.
        precomputed: extra cached embeddings by :func:`chunk_hash`, used like those of the
            previous index. Lets a caller that already holds vectors (an import, the scale
            benchmark) index without embedding again; they must come from ``embedder``.
    """
    report = BuildReport()
    folder = index_dir(data_dir)
    started = time.perf_counter()
    rows: list[dict[str, object]] = []
    texts: list[str] = []
    case_records = []
    for case_row, case in enumerate(cases):
        case_records.append(_case_record(case))
        for chunk in case.chunks:
            text = chunk_text_for_embedding(case, chunk)
            texts.append(text)
            rows.append(
                {
                    "id": chunk.id,
                    "case": case_row,
                    "start": chunk.start,
                    "end": chunk.end,
                    "section": chunk.section,
                    "lang": chunk.lang,
                }
            )
    hashes = [chunk_hash(embedder.model_id, t) for t in texts]
    previous = {} if rebuild else _previous_vectors(folder, embedder.model_id)
    report.removed = len(set(previous) - set(hashes))
    cache = {**precomputed, **previous} if precomputed else previous
    missing = [i for i, h in enumerate(hashes) if h not in cache]
    report.seconds["prepare"] = time.perf_counter() - started

    t0 = time.perf_counter()
    fresh = embedder.encode_documents(
        [texts[i] for i in missing], batch_size=batch_size, show_progress=progress
    )
    report.seconds["embed"] = time.perf_counter() - t0
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for j, i in enumerate(missing):
        vectors[i] = fresh[j]
    missing_set = set(missing)
    for i, h in enumerate(hashes):
        if i not in missing_set:
            vectors[i] = cache[h]
    report.embedded, report.reused = len(missing), len(texts) - len(missing)

    t0 = time.perf_counter()
    langs = [str(r["lang"]) for r in rows]
    centroids = language_centroids(vectors, langs)
    dense = DenseIndex.build(centre(vectors, langs, centroids), dense_kind)
    report.seconds["dense"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lexical = LexicalIndex.build(texts, langs)
    report.seconds["bm25"] = time.perf_counter() - t0

    for lang in langs:
        report.languages[lang] = report.languages.get(lang, 0) + 1
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model_id=embedder.model_id,
        dim=embedder.dim,
        prompts=embedder.info.prompts,
        backend=backend or getattr(embedder.info, "backend", "torch"),
        quantization=getattr(embedder.info, "quantization", "none"),
        vector_space=getattr(embedder.info, "vector_space", ""),
        dense_kind=dense.kind,
        chunks=len(rows),
        cases=len(cases),
        corpus_fingerprint=corpus_fingerprint(hashes),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        languages=report.languages,
        settings={"bm25": {"k1": 1.2, "b": 0.75}, "dense_vectors": "language-centred"},
    )
    t0 = time.perf_counter()
    with staged_dir(folder) as tmp:
        np.save(tmp / VECTORS, vectors)
        (tmp / HASHES).write_text(json.dumps(hashes), encoding="utf-8")
        (tmp / CHUNKS).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        (tmp / CASES).write_text(json.dumps(case_records, ensure_ascii=False), encoding="utf-8")
        dense.save(tmp / DENSE)
        (tmp / CENTROIDS).write_text(
            json.dumps({k: v.tolist() for k, v in centroids.items()}), encoding="utf-8"
        )
        lexical.save(tmp / LEXICAL)
        manifest.save(tmp)  # written last: a folder without it is never a valid index
    report.seconds["save"] = time.perf_counter() - t0
    report.seconds["total"] = time.perf_counter() - started
    report.cases, report.chunks, report.index_dir = len(cases), len(rows), str(folder)
    return report
