"""Synthetic scale corpora for the benchmarks, grown from the Participedia case texts.

The 807 Participedia descriptions (about 7,000 real chunks) are the base. Larger corpora add
perturbed copies of base cases; each copy keeps the base case's chunk structure, so each of
its chunks is derived from exactly one real chunk:

* the sentences of the chunk are shuffled,
* every sentence is dropped with probability ``DROP`` (at least one stays) and repeated with
  probability ``REPEAT``,
* every word is replaced with probability ``SWAP`` by a word drawn from the base vocabulary,
* the case title and id carry the variant number (``"<title> (variant 3)"``, ``v3-<id>``).

Embedding 100k chunks with the real model would take well over an hour on a 2-core machine,
so only the base chunks are embedded (once, cached on disk); a perturbed chunk gets its base
chunk's vector plus isotropic Gaussian noise (``NOISE_NORM`` expected length), re-normalised.
FAISS and BM25 costs depend on the number of vectors and on the text, not on what the vectors
mean, so the timings are those of a real corpus of that size.

The Participedia file is read from ``../shared/data`` and never copied into the repository.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from casesearch.index.model.embedder import Embedder
from casesearch.index.storage.build import chunk_hash
from casesearch.ingest.chunking import chunk_spans
from casesearch.ingest.ids import case_id, chunk_id
from casesearch.ingest.model import Case, Chunk, chunk_text_for_embedding
from casesearch.ingest.sentences import sentence_spans

REPO = Path(__file__).resolve().parents[1]
#: The export beside the repository; ``$CASESEARCH_PARTICIPEDIA`` points elsewhere (a worktree).
PARTICIPEDIA = Path(
    os.environ.get("CASESEARCH_PARTICIPEDIA")
    or REPO.parent / "shared" / "data" / "participedia" / "participedia-2016-nodes.jsonl"
)

DROP = 0.10
REPEAT = 0.05
SWAP = 0.05
#: Expected length of the noise added to a base vector (cosine to the base about 0.97).
NOISE_NORM = 0.25
SEED = 20161

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


class DataMissingError(RuntimeError):
    """The shared Participedia file is not there (benchmarks then skip with this message)."""


def load_participedia(path: Path = PARTICIPEDIA) -> list[dict[str, str]]:
    """The Participedia records (``id, title, lang, url, text``), in file order."""
    if not path.exists():
        raise DataMissingError(
            f"{path} is absent: the scale benchmarks need the shared Participedia file "
            "(see ../shared/data/README.md); skipping."
        )
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def base_cases(records: list[dict[str, str]]) -> list[Case]:
    """One case per record, chunked with the project's own chunker (~150 words a chunk).

    The record's language is trusted (Participedia sets it); ids are unique like the store's.
    """
    cases: list[Case] = []
    seen: set[str] = set()
    for record in records:
        text = " ".join(str(record["text"]).split())
        title = " ".join(str(record["title"]).split()) or str(record["id"])
        if not text:
            continue
        cid = case_id(title)
        if cid in seen:
            cid = f"{cid}-{record['id']}"
        seen.add(cid)
        lang = str(record.get("lang") or "en")
        spans = chunk_spans(text, 0, len(text))
        chunks = [Chunk(chunk_id(cid, i), s.start, s.end, None, lang) for i, s in enumerate(spans)]
        cases.append(
            Case(
                id=cid,
                title=title,
                text=text,
                lang=lang,
                source=f"participedia/{record['id']}",
                collection="participedia",
                url=record.get("url"),
                chunks=chunks,
            )
        )
    return cases


def vocabulary(cases: list[Case]) -> list[str]:
    """Distinct words of the base corpus (sorted, so draws are reproducible)."""
    words: set[str] = set()
    for case in cases:
        words.update(_WORD.findall(case.text))
    return sorted(words)


def _perturb_passage(text: str, rng: random.Random, vocab: list[str]) -> str:
    spans = sentence_spans(text) or [(0, len(text))]
    sentences = [text[s:e] for s, e in spans]
    rng.shuffle(sentences)
    kept: list[str] = []
    for sentence in sentences:
        if rng.random() < DROP:
            continue
        kept.append(sentence)
        if rng.random() < REPEAT:
            kept.append(sentence)
    if not kept:
        kept = [sentences[0]]
    words = " ".join(kept).split(" ")
    for i in range(len(words)):
        if rng.random() < SWAP:
            words[i] = rng.choice(vocab)
    return " ".join(words)


def variant_case(base: Case, variant: int, vocab: list[str]) -> Case:
    """A perturbed copy of ``base``; chunk ``i`` of the copy derives from chunk ``i`` of base."""
    rng = random.Random(f"{SEED}:{base.id}:{variant}")
    cid = f"v{variant}-{base.id}"
    parts: list[str] = []
    chunks: list[Chunk] = []
    pos = 0
    for i, chunk in enumerate(base.chunks):
        passage = _perturb_passage(base.chunk_text(chunk), rng, vocab)
        if parts:
            pos += 2
        parts.append(passage)
        chunks.append(Chunk(chunk_id(cid, i), pos, pos + len(passage), None, chunk.lang))
        pos += len(passage)
    return Case(
        id=cid,
        title=f"{base.title} (variant {variant})",
        text="\n\n".join(parts),
        lang=base.lang,
        source=f"{base.source}#v{variant}",
        collection=f"participedia-v{variant % 10}",
        url=base.url,
        chunks=chunks,
    )


@dataclass
class Corpus:
    """A synthetic corpus: its cases and, per chunk, which base chunk it derives from."""

    cases: list[Case]
    origin: list[int]
    variant: list[int]

    @property
    def chunks(self) -> int:
        return len(self.origin)


def base_order(cases: list[Case]) -> list[int]:
    """A fixed shuffle of the base cases, so small corpora mix languages and case types."""
    order = list(range(len(cases)))
    random.Random(SEED).shuffle(order)
    return order


def make_corpus(base: list[Case], size: int, vocab: list[str]) -> Corpus:
    """Exactly ``size`` chunks: base cases first, then variants 1, 2, ... of every base case.

    The last case is cut to the chunks still needed.
    """
    offsets = np.cumsum([0] + [len(c.chunks) for c in base])
    cases: list[Case] = []
    origin: list[int] = []
    variant_of: list[int] = []
    order = base_order(base)
    variant = 0
    while len(origin) < size:
        for b in order:
            if len(origin) >= size:
                break
            case = base[b] if variant == 0 else variant_case(base[b], variant, vocab)
            take = min(len(case.chunks), size - len(origin))
            if take < len(case.chunks):
                case = dataclasses.replace(case, chunks=case.chunks[:take])
            cases.append(case)
            origin.extend(int(offsets[b]) + i for i in range(take))
            variant_of.extend([variant] * take)
        variant += 1
    return Corpus(cases, origin, variant_of)


def base_texts(base: list[Case]) -> list[str]:
    """What the indexer embeds for every base chunk, in base order."""
    return [chunk_text_for_embedding(c, ch) for c in base for ch in c.chunks]


def _cache_paths(cache_dir: Path, name: str = "base") -> tuple[Path, Path]:
    return cache_dir / f"{name}-vectors.npy", cache_dir / f"{name}-hashes.json"


def load_cached_vectors(cache_dir: Path, name: str = "base") -> dict[str, np.ndarray]:
    """Embeddings embedded so far (base chunks, or ``sentences``), by hash."""
    vec_path, hash_path = _cache_paths(cache_dir, name)
    if not (vec_path.exists() and hash_path.exists()):
        return {}
    vectors = np.load(vec_path)
    hashes = json.loads(hash_path.read_text(encoding="utf-8"))
    if len(hashes) != len(vectors):
        return {}
    return dict(zip(hashes, vectors, strict=True))


def _save_cache(cache_dir: Path, known: dict[str, np.ndarray], name: str = "base") -> None:
    vec_path, hash_path = _cache_paths(cache_dir, name)
    cache_dir.mkdir(parents=True, exist_ok=True)
    hashes = list(known)
    tmp = vec_path.with_suffix(".tmp.npy")
    np.save(tmp, np.stack([known[h] for h in hashes]).astype(np.float32))
    hash_path.with_suffix(".tmp").write_text(json.dumps(hashes), encoding="utf-8")
    tmp.replace(vec_path)
    hash_path.with_suffix(".tmp").replace(hash_path)


def embed_base(
    base: list[Case],
    embedder: Embedder,
    cache_dir: Path,
    budget_seconds: float,
    step: int = 128,
) -> int:
    """Embed base chunks not yet cached, in :func:`base_order`, for at most ``budget_seconds``.

    Progress is saved every ``step`` chunks, so an interrupted or time-boxed run still adds
    to the cache; returns how many base chunks are cached now.
    """
    import time

    texts = base_texts(base)
    hashes = [chunk_hash(embedder.model_id, t) for t in texts]
    known = load_cached_vectors(cache_dir)
    offsets = np.cumsum([0] + [len(c.chunks) for c in base])
    todo = [
        i
        for b in base_order(base)
        for i in range(int(offsets[b]), int(offsets[b + 1]))
        if hashes[i] not in known
    ]
    started = time.perf_counter()
    for k in range(0, len(todo), step):
        if time.perf_counter() - started > budget_seconds:
            break
        part = sorted(todo[k : k + step], key=lambda i: len(texts[i]))
        fresh = embedder.encode_documents([texts[i] for i in part])
        known.update({hashes[i]: fresh[j] for j, i in enumerate(part)})
        _save_cache(cache_dir, known)
    return sum(h in known for h in hashes)


def base_sentences(base: list[Case]) -> tuple[list[str], np.ndarray]:
    """Every distinct sentence of the base chunks, and the base case it comes from."""
    seen: set[str] = set()
    texts: list[str] = []
    cases: list[int] = []
    for b in base_order(base):
        case = base[b]
        for chunk in case.chunks:
            excerpt = case.chunk_text(chunk)
            for start, end in sentence_spans(excerpt):
                text = excerpt[start:end].strip()
                if len(text.split()) >= 4 and text not in seen:
                    seen.add(text)
                    texts.append(text)
                    cases.append(b)
    return texts, np.asarray(cases, dtype=np.int64)


def embed_sentences(
    texts: list[str], embedder: Embedder, cache_dir: Path, budget_seconds: float, step: int = 512
) -> np.ndarray:
    """Embed (as passages) the sentences not cached yet, for at most ``budget_seconds``.

    Returns a mask of the sentences now embedded; progress is saved every ``step`` sentences.
    """
    import time

    hashes = [chunk_hash(embedder.model_id, t) for t in texts]
    known = load_cached_vectors(cache_dir, "sentences")
    todo = [i for i, h in enumerate(hashes) if h not in known]
    started = time.perf_counter()
    for k in range(0, len(todo), step):
        if time.perf_counter() - started > budget_seconds:
            break
        part = todo[k : k + step]
        fresh = embedder.encode_documents([texts[i] for i in part])
        known.update({hashes[i]: fresh[j] for j, i in enumerate(part)})
        _save_cache(cache_dir, known, "sentences")
    return np.asarray([h in known for h in hashes], dtype=bool)


def base_vectors(base: list[Case], model_id: str, cache_dir: Path) -> tuple[np.ndarray, int]:
    """A vector for every base chunk, and how many of them are real embeddings.

    Base chunks not embedded yet (see :func:`embed_base`) borrow the vector of an embedded
    one, plus noise, so a benchmark can run before the whole base set is embedded.
    """
    known = load_cached_vectors(cache_dir)
    hashes = [chunk_hash(model_id, t) for t in base_texts(base)]
    have = [i for i, h in enumerate(hashes) if h in known]
    if not have:
        raise DataMissingError(f"no embedded base chunks in {cache_dir}; run the base phase")
    dim = len(known[hashes[have[0]]])
    vectors = np.zeros((len(hashes), dim), dtype=np.float32)
    for i in have:
        vectors[i] = known[hashes[i]]
    missing = [i for i, h in enumerate(hashes) if h not in known]
    if missing:
        rng = np.random.default_rng(SEED + 1)
        donors = np.asarray(have)[np.arange(len(missing)) % len(have)]
        noise = rng.normal(0.0, NOISE_NORM / np.sqrt(dim), (len(missing), dim))
        filled = vectors[donors] + noise
        vectors[missing] = filled / np.linalg.norm(filled, axis=1, keepdims=True)
    return vectors, len(have)


def embedded_mask(base: list[Case], model_id: str, cache_dir: Path) -> np.ndarray:
    """Which base chunks have a real embedding in the cache (the others borrow one)."""
    known = load_cached_vectors(cache_dir)
    return np.asarray([chunk_hash(model_id, t) in known for t in base_texts(base)], dtype=bool)


@dataclass
class VectorModel:
    """A Gaussian model of real chunk embeddings: language mean + case part + chunk part.

    A chunk's vector is ``μ_lang + c + e`` (then normalised), ``c`` drawn once per case from
    the covariance of case means around their language mean, ``e`` per chunk from the
    covariance of chunks around their case mean. Fitted to the real base-chunk embeddings, it
    draws corpora of any size with the spread, the language offsets and the within-case
    similarity of real ones, and without near-duplicates: every case is a new draw.
    """

    langs: list[str]
    means: np.ndarray
    case_factor: np.ndarray
    chunk_factor: np.ndarray


def _factor(cov: np.ndarray) -> np.ndarray:
    """``L`` with ``L Lᵀ = cov`` (negative eigenvalues of an estimate clipped to zero)."""
    values, vectors = np.linalg.eigh((cov + cov.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))).astype(np.float32)


def fit_vector_model(base: list[Case], vectors: np.ndarray, real: np.ndarray) -> VectorModel:
    """Fit :class:`VectorModel` to the base chunks with a real embedding (``real``)."""
    case_of = np.repeat(np.arange(len(base)), [len(c.chunks) for c in base])
    langs = np.asarray([ch.lang for c in base for ch in c.chunks], dtype=object)
    return fit_model_to(vectors[real], case_of[real], langs[real])


def fit_model_to(vectors: np.ndarray, case_of: np.ndarray, langs: np.ndarray) -> VectorModel:
    """Fit :class:`VectorModel` to real vectors, their case and their language."""
    x = vectors.astype(np.float64)
    names = sorted(set(langs.tolist()))
    overall = x.mean(axis=0)
    means = []
    for lang in names:  # a rare language's mean is pulled towards the overall mean
        rows = x[langs == lang]
        means.append((rows.sum(axis=0) + 10 * overall) / (len(rows) + 10))
    lang_mean = np.stack(means)[np.searchsorted(names, langs)]
    cases, inverse, counts = np.unique(case_of, return_inverse=True, return_counts=True)
    case_mean = np.zeros((len(cases), x.shape[1]))
    np.add.at(case_mean, inverse, x)
    case_mean /= counts[:, None]
    within = x - case_mean[inverse]
    cov_within = within.T @ within / max(1, len(x) - len(cases))
    first = np.unique(inverse, return_index=True)[1]  # one row per case: its language mean
    between = case_mean - lang_mean[first]
    # A case mean also carries chunk noise averaged over its chunks: take that share away.
    cov_between = between.T @ between / max(1, len(cases) - 1)
    cov_between -= float(np.mean(1.0 / counts)) * cov_within
    return VectorModel(
        names, np.stack(means).astype(np.float32), _factor(cov_between), _factor(cov_within)
    )


def spread_vectors(corpus: Corpus, model: VectorModel, seed: int = SEED + 3) -> np.ndarray:
    """A vector for every chunk of ``corpus`` drawn from ``model`` (normalised, float32)."""
    sizes = [len(c.chunks) for c in corpus.cases]
    case_of = np.repeat(np.arange(len(sizes)), sizes)
    langs = np.asarray([ch.lang for c in corpus.cases for ch in c.chunks], dtype=object)
    return draw_vectors(model, case_of, langs, seed)


def draw_vectors(
    model: VectorModel, case_of: np.ndarray, langs: np.ndarray, seed: int = SEED + 3
) -> np.ndarray:
    """Draw a vector for every row: its language mean, its case's part, its own part."""
    rng = np.random.default_rng(seed)
    dim = model.means.shape[1]
    cases, inverse = np.unique(case_of, return_inverse=True)
    case_part = rng.standard_normal((len(cases), dim), dtype=np.float32) @ model.case_factor.T
    lang_pos = {lang: i for i, lang in enumerate(model.langs)}
    means = np.vstack([model.means, model.means.mean(axis=0)[None, :]])
    lang_of = np.asarray([lang_pos.get(x, len(model.langs)) for x in langs.tolist()])
    out = np.empty((len(case_of), dim), dtype=np.float32)
    step = 65_536
    for start in range(0, len(out), step):
        end = min(start + step, len(out))
        noise = rng.standard_normal((end - start, dim), dtype=np.float32) @ model.chunk_factor.T
        block = means[lang_of[start:end]] + case_part[inverse[start:end]] + noise
        out[start:end] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def derived_vectors(corpus: Corpus, base_vecs: np.ndarray) -> np.ndarray:
    """Base vectors for base chunks; noisy, re-normalised copies for variant chunks."""
    origin = np.asarray(corpus.origin, dtype=np.int64)
    variant = np.asarray(corpus.variant, dtype=np.int64)
    vectors = base_vecs[origin].copy()
    noisy = np.flatnonzero(variant > 0)
    if len(noisy):
        rng = np.random.default_rng(SEED)
        sigma = NOISE_NORM / np.sqrt(base_vecs.shape[1])
        vectors[noisy] += rng.normal(0.0, sigma, (len(noisy), base_vecs.shape[1]))
        vectors[noisy] /= np.linalg.norm(vectors[noisy], axis=1, keepdims=True)
    return vectors.astype(np.float32)


def precomputed_for(corpus: Corpus, vectors: np.ndarray, model_id: str) -> dict[str, np.ndarray]:
    """Vectors keyed by the chunk hash ``build_index`` looks up."""
    out: dict[str, np.ndarray] = {}
    row = 0
    for case in corpus.cases:
        for chunk in case.chunks:
            out[chunk_hash(model_id, chunk_text_for_embedding(case, chunk))] = vectors[row]
            row += 1
    return out


def store_sentence_vectors(corpus: Corpus, vectors: np.ndarray, store, part: int = 50_000) -> int:
    """Fill a sentence-vector store for every excerpt of ``corpus`` without the model.

    Each sentence gets its chunk's vector plus noise (re-normalised), like variant chunks:
    what marking costs depends on looking vectors up and multiplying, not on what they
    mean. Returns how many distinct sentences were stored.
    """
    from casesearch.ingest.sentences import sentence_spans

    rng = np.random.default_rng(SEED + 2)
    dim = vectors.shape[1]
    seen: set[int] = set()
    keys: list[int] = []
    rows: list[int] = []
    row = 0
    for case in corpus.cases:
        for chunk in case.chunks:
            excerpt = case.text[chunk.start : chunk.end]
            for start, end in sentence_spans(excerpt):
                key = store.key(excerpt[start:end])
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
                    rows.append(row)
            row += 1
    sigma = NOISE_NORM / np.sqrt(dim)
    for begin in range(0, len(keys), part):
        src = np.asarray(rows[begin : begin + part], dtype=np.int64)
        block = vectors[src] + rng.normal(0.0, sigma, (len(src), dim)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        store.add(np.asarray(keys[begin : begin + part], dtype=np.uint64), block, remember=False)
    return len(keys)
