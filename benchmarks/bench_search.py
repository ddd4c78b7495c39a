"""Search and indexing benchmarks at 1k, 10k and 100k chunks.

Usage::

    .venv/bin/python benchmarks/bench_search.py [--sizes 1000,10000,100000]
        [--out benchmarks/results/search.json] [--work-dir /tmp/casesearch-bench]

What it measures (see BENCHMARKS.md for the results and how the corpora are made):

* query latency of ``Searcher.search`` through the Python API (question embedding included,
  k=10, hybrid; best sentences not marked, marked from stored sentence vectors, and marked by
  embedding the sentences), p50/p95 and the share of each stage, all interleaved question by
  question;
* indexing throughput with real embedding on 500 real chunks of 150-200 words, and peak memory;
* the time to add one document to the largest index (``build_index`` again with one more case,
  then preparing its sentence vectors);
* recall@100 of float16 exhaustive search and of HNSW against float32 exhaustive search;
* optionally (``--participedia``) ingest + index of the Participedia file end to end.

Each phase runs in its own child process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import synth
from benchmarks.common import (
    DEFAULT_WORK,
    current_rss_mb,
    load_questions,
    log,
    machine,
    model_data,
    recall_questions,
    report_result,
    run_worker,
    summary,
)

#: Stages on the searching thread, in order; they add up to the search time. The question's
#: embedding and then the dense scan run on a second thread meanwhile (:data:`SECOND_STAGES`);
#: ``embed_wait`` is what is left of the embedding when BM25 is done, ``dense_wait`` what is
#: left of the scan when language detection is done.
MAIN_STAGES = ("bm25", "embed_wait", "lang", "dense_wait", "fuse_group", "highlight")
SECOND_STAGES = ("embed", "faiss")


# --------------------------------------------------------------------------- helpers
def _corpus_dir(work: Path, size: int) -> Path:
    return work / f"corpus-{size}"


def _embedder(work: Path, backend: str | None):
    from casesearch.index.model.embedder import load_embedder

    if backend:
        return load_embedder(None, model_data(work), backend=backend)  # type: ignore[call-arg]
    return load_embedder(None, model_data(work))


def _backend_name(embedder) -> str:
    return str(getattr(embedder.info, "backend", "torch"))


def _synth_corpus(work: Path, size: int, model_id: str, vectors: str = "spread"):
    """Base cases, the corpus of ``size`` chunks, its vectors and how many base ones are real.

    ``vectors``: ``spread`` (drawn from a Gaussian model of the real embeddings: no
    near-duplicates) or ``neardup`` (each variant chunk its base chunk's vector plus noise).
    """
    base = synth.base_cases(synth.load_participedia())
    corpus = synth.make_corpus(base, size, synth.vocabulary(base))
    base_vecs, real = synth.base_vectors(base, model_id, work / "cache")
    if vectors == "spread":
        mask = synth.embedded_mask(base, model_id, work / "cache")
        model = synth.fit_vector_model(base, base_vecs, mask)
        return base, corpus, synth.spread_vectors(corpus, model), real
    if vectors != "neardup":
        raise ValueError(f"unknown vectors {vectors!r} (spread or neardup)")
    return base, corpus, synth.derived_vectors(corpus, base_vecs), real


def _question_vectors(work: Path, embedder, texts: list[str]):
    """The questions embedded for real by ``embedder`` (cached in the work folder)."""
    import hashlib

    import numpy as np

    key = hashlib.sha256("\x00".join([embedder.model_id, *texts]).encode()).hexdigest()[:16]
    path = work / "cache" / f"questions-{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = np.asarray(embedder.encode_queries(texts), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def _dir_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def _files_mb(folder: Path) -> dict[str, float]:
    """MB on disk by kind of file (``ann-3.faiss`` counts as ``ann-*.faiss``)."""
    out: dict[str, float] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            name = path.name
            if name.startswith("ann-"):
                name = "ann-*" + name[name.index(".") :]
            out[name] = out.get(name, 0.0) + path.stat().st_size / 2**20
    return {k: round(v, 1) for k, v in sorted(out.items())}


# --------------------------------------------------------------------------- workers
def worker_base(params: dict) -> dict:
    """Embed (more of) the base chunks for real, within a time budget."""
    work = Path(params["work"])
    base = synth.base_cases(synth.load_participedia())
    embedder = _embedder(work, params.get("backend"))
    started = time.perf_counter()
    cached = synth.embed_base(base, embedder, work / "cache", float(params["budget"]))
    return {
        "base_cases": len(base),
        "base_chunks": sum(len(c.chunks) for c in base),
        "embedded_base_chunks": cached,
        "seconds": round(time.perf_counter() - started, 1),
    }


def worker_build(params: dict) -> dict:
    """Build the index of a synthetic corpus through ``build_index`` (vectors pre-seeded)."""
    from casesearch.index.storage.build import build_index, index_dir
    from casesearch.index.storage.manifest import Manifest
    from casesearch.index.storage.sentence_vectors import SentenceVectors

    work, size = Path(params["work"]), int(params["size"])
    embedder = _embedder(work, params.get("backend"))
    t0 = time.perf_counter()
    _base, corpus, vectors, real = _synth_corpus(work, size, embedder.model_id, params["vectors"])
    pre = synth.precomputed_for(corpus, vectors, embedder.model_id)
    synth_s = time.perf_counter() - t0
    data_dir = _corpus_dir(work, size)
    shutil.rmtree(data_dir, ignore_errors=True)
    dense = str(params.get("dense") or "auto")
    report = build_index(
        corpus.cases, data_dir, embedder, dense_kind=dense, rebuild=True, precomputed=pre
    )
    build_rss = current_rss_mb()
    t0 = time.perf_counter()
    store = SentenceVectors.open(data_dir, embedder.model_id, embedder.dim)
    sentences = synth.store_sentence_vectors(corpus, vectors, store)
    manifest = Manifest.load(index_dir(data_dir))
    store.mark_prepared(seg.fingerprint for seg in manifest.segments)
    sentence_s = time.perf_counter() - t0
    manifest_kind = manifest.dense_kind
    return {
        "size": size,
        "vectors": params["vectors"],
        "dense_kind": manifest_kind,
        "rss_after_build_mb": round(build_rss, 1),
        "cases": report.cases,
        "chunks": report.chunks,
        "mode": report.mode,
        "embedded": report.embedded,
        "sentences": sentences,
        "sentence_store_seconds": round(sentence_s, 1),
        "sentence_store_mb": _dir_mb(store.folder),
        "real_base_vectors": real,
        "languages": report.languages,
        "synth_seconds": round(synth_s, 1),
        "build_seconds": {k: round(v, 2) for k, v in report.seconds.items()},
        "index_mb": _dir_mb(index_dir(data_dir)),
        "index_files_mb": _files_mb(index_dir(data_dir)),
    }


def worker_search(params: dict) -> dict:
    """Latency of ``Searcher.search`` at every size and highlight setting, interleaved.

    Highlight settings: ``off``; ``stored`` (sentence vectors prepared, as after
    ``casesearch index``); ``embedded`` (no stored vectors: every sentence shown is embedded,
    as before preparation; smallest size only, it costs the same at every size).
    """
    from casesearch.index.search.searcher import Searcher

    work, sizes = Path(params["work"]), [int(s) for s in params["sizes"]]
    embedder = _embedder(work, params.get("backend"))
    questions, source = load_questions(int(params["questions"]))
    searchers = {}
    loaded_mb = {}
    load_s = {}
    for size in sizes:
        before = current_rss_mb()
        t0 = time.perf_counter()
        searchers[size] = Searcher.load(_corpus_dir(work, size), embedder)
        load_s[size] = round(time.perf_counter() - t0, 2)
        loaded_mb[size] = round(current_rss_mb() - before, 1)
    combos = [(size, hl) for size in sizes for hl in ("off", "stored")] + [(sizes[0], "embedded")]

    def run(size: int, hl: str, q: str):
        searcher = searchers[size]
        stored = searcher.sentences
        if hl == "embedded":
            searcher.sentences = None
        try:
            return searcher.search(q, 10, mode="hybrid", highlight=hl != "off")
        finally:
            searcher.sentences = stored

    for q in questions[:3]:  # warm-up: first calls allocate
        for size, hl in combos:
            run(size, hl, q)
    totals: dict[str, list[float]] = {f"{s}/{h}": [] for s, h in combos}
    stages: dict[str, dict[str, list[float]]] = {key: {} for key in totals}
    embedded: dict[str, list[float]] = {key: [] for key in totals}
    # Searches that embed every shown sentence (seconds of batch embedding on all cores) run
    # in a pass of their own after the others: interleaved, each one disturbed the next
    # searches (thread pools resized, caches flushed) far more than steady use ever does.
    steady = [c for c in combos if c[1] != "embedded"]
    passes = [steady, [c for c in combos if c[1] == "embedded"]]
    for group in passes:
        for qi, q in enumerate(questions):
            shift = qi % max(1, len(group))
            for size, hl in group[shift:] + group[:shift]:
                t0 = time.perf_counter()
                response = run(size, hl, q)
                elapsed = (time.perf_counter() - t0) * 1000
                key = f"{size}/{hl}"
                totals[key].append(elapsed)
                for stage, ms in response.timings_ms.items():
                    stages[key].setdefault(stage, []).append(ms)
                embedded[key].append(response.highlight_counts.get("sentences_embedded", 0))
    out: dict[str, object] = {}
    for size, hl in combos:
        key = f"{size}/{hl}"
        mean_total = sum(totals[key]) / len(totals[key])
        share = {
            stage: round(100 * sum(stages[key].get(stage, [])) / len(totals[key]) / mean_total, 1)
            for stage in MAIN_STAGES
            if stage in stages[key]
        }
        share["other"] = round(100 - sum(share.values()), 1)
        out[key] = {
            "size": size,
            "highlight": hl,
            "total_ms": summary(totals[key]),
            "stage_ms": {s: summary(v) for s, v in stages[key].items()},
            "share_percent": share,
            "sentences_embedded_mean": round(float(sum(embedded[key]) / len(embedded[key])), 1),
        }
    return {
        "questions": len(questions),
        "question_source": source,
        "backend": _backend_name(embedder),
        "rss_after_searches_mb": round(current_rss_mb(), 1),
        "dense_kinds": {size: searchers[size].manifest.dense_kind for size in sizes},
        "loaded_index_mb": loaded_mb,
        "load_seconds": load_s,
        "results": out,
    }


def _chunks_of_words(base, low: int, high: int, count: int):
    """``count`` real chunks of ``low``-``high`` words, each as a one-chunk case."""
    from casesearch.ingest.model import Case, Chunk

    out = []
    for b in synth.base_order(base):
        case = base[b]
        for chunk in case.chunks:
            text = case.chunk_text(chunk)
            if low <= len(text.split()) <= high:
                cid = f"tp-{len(out)}"
                out.append(
                    Case(
                        id=cid,
                        title=case.title,
                        text=text,
                        lang=case.lang,
                        source=case.source,
                        collection="throughput",
                        chunks=[Chunk(f"{cid}-0", 0, len(text), None, chunk.lang)],
                    )
                )
                if len(out) >= count:
                    return out
    return out


def worker_throughput(params: dict) -> dict:
    """Index 500 real chunks of 150-200 words with real embedding; chunks per second."""
    from casesearch.index.storage.build import build_index

    work = Path(params["work"])
    embedder = _embedder(work, params.get("backend"))
    base = synth.base_cases(synth.load_participedia())
    cases = _chunks_of_words(base, 150, 200, int(params["chunks"]))
    words = sum(len(c.text.split()) for c in cases)
    data_dir = work / "throughput"
    shutil.rmtree(data_dir, ignore_errors=True)
    report = build_index(cases, data_dir, embedder, rebuild=True)
    total = report.seconds["total"]
    return {
        "backend": _backend_name(embedder),
        "chunks": report.chunks,
        "mean_words": round(words / len(cases), 1),
        "seconds": {k: round(v, 2) for k, v in report.seconds.items()},
        "chunks_per_second": round(report.chunks / total, 2),
        "embed_chunks_per_second": round(report.chunks / report.seconds["embed"], 2),
    }


def worker_add_one(params: dict) -> dict:
    """Add one new document to the largest index, ``repeats`` times (each a new document)."""
    import numpy as np

    from casesearch.index.search.searcher import Searcher
    from casesearch.index.storage.build import build_index
    from casesearch.index.storage.sentence_vectors import prepare_for_index

    work, size = Path(params["work"]), int(params["size"])
    embedder = _embedder(work, params.get("backend"))
    base, corpus, _vectors, _real = _synth_corpus(work, size, embedder.model_id, params["vectors"])
    del _vectors
    vocab = synth.vocabulary(base)
    data_dir = _corpus_dir(work, size)
    runs = []
    typical = [c for c in base if 6 <= len(c.chunks) <= 10]  # the median case has ~8 chunks
    for r in range(int(params["repeats"])):
        new = synth.variant_case(typical[r], 1000 + r, vocab)
        new.title = f"New case {r}: {typical[r].title}"
        report = build_index([*corpus.cases, new], data_dir, embedder)
        prepared = prepare_for_index(data_dir, embedder)
        runs.append(
            {
                "chunks": report.chunks,
                "mode": report.mode,
                "segments": report.segments,
                "embedded": report.embedded,
                "reused": report.reused,
                "removed": report.removed,
                "seconds": {k: round(v, 3) for k, v in report.seconds.items()},
                "sentences": prepared.sentences,
                "sentences_embedded": prepared.embedded,
                "sentences_seconds": round(prepared.seconds, 3),
            }
        )
        log(f"add-one {r}: {runs[-1]['seconds']}")
    keys = runs[0]["seconds"].keys()
    median = {k: round(float(np.median([x["seconds"][k] for x in runs])), 3) for k in keys}
    median["sentences"] = round(float(np.median([x["sentences_seconds"] for x in runs])), 3)
    t0 = time.perf_counter()
    Searcher.load(data_dir, embedder)  # what a running app does after an update
    reopen_s = time.perf_counter() - t0
    return {"size": size, "runs": runs, "median_seconds": median, "reopen_seconds": reopen_s}


#: Settings of the ``ann`` phase: index builds and, per build, the search breadths swept.
ANN_CONFIGS: dict[str, dict[str, object]] = {
    "flat": {"kind": "flat"},
    "ivf": {"kind": "ivf", "code": "fp16", "lists": 4.0, "nprobe": [32, 64, 128, 256, 384, 512]},
    "ivf-sq8": {"kind": "ivf", "code": "sq8", "lists": 4.0, "nprobe": [64, 128, 256, 512]},
    "ivf-lists2": {"kind": "ivf", "code": "fp16", "lists": 2.0, "nprobe": [32, 64, 128, 256]},
    "ivf-lists8": {"kind": "ivf", "code": "fp16", "lists": 8.0, "nprobe": [128, 256, 512, 1024]},
    "hnsw": {"kind": "hnsw", "m": 32, "ef": [96, 200, 512]},
    "rabitq": {"kind": "rabitq", "bits": 2, "rerank": [5, 10, 20, 40]},
    "rabitq1": {"kind": "rabitq", "bits": 1, "rerank": [10, 20, 40, 80]},
}


def worker_ann(params: dict) -> dict:
    """Recall and latency of approximate indexes against exhaustive search, per setting.

    The corpus vectors are centred as the searcher centres them; every index is built the way
    a full build writes it (one part per language with enough chunks, the rest exhaustive).
    """
    import gc

    import numpy as np

    from benchmarks import ann_recall
    from casesearch.index.storage.centering import centre, language_centroids
    from casesearch.index.storage.dense import DenseIndex, use_single_thread

    work, size = Path(params["work"]), int(params["size"])
    embedder = _embedder(work, params.get("backend"))
    texts, sources = recall_questions()
    queries = _question_vectors(work, embedder, texts)
    _base, corpus, vectors, _real = _synth_corpus(work, size, embedder.model_id, params["vectors"])
    langs = np.asarray([ch.lang for c in corpus.cases for ch in c.chunks])
    chunk_case = np.repeat(np.arange(len(corpus.cases)), [len(c.chunks) for c in corpus.cases])
    origin = np.asarray(corpus.origin) if params["vectors"] == "neardup" else None
    del corpus
    gc.collect()
    lang_list = langs.tolist()
    centroids = language_centroids(vectors, lang_list)
    centred = centre(vectors, lang_list, centroids)
    t0 = time.perf_counter()
    reference = ann_recall.exact_reference(centred, queries, chunk_case)
    out: dict[str, object] = {
        "size": size,
        "vectors": params["vectors"],
        "questions": len(texts),
        "question_sources": sources,
        "languages": dict(Counter(langs.tolist())),
        "reference_seconds": round(time.perf_counter() - t0, 1),
        "settings": {},
    }
    use_single_thread()
    scratch = str(work / f"ann-scratch-{size}.faiss")
    for name in params["configs"]:
        config = ANN_CONFIGS[name]
        kind = str(config["kind"])
        log(f"ann {size}: {name}")
        rss0 = current_rss_mb()
        t0 = time.perf_counter()
        if kind == "flat":
            index = DenseIndex.build(centred, "flat")
            build_s = time.perf_counter() - t0
            settings = [("flat", lambda _index: None)]
            nbytes = index.pool.sa_code_size() * index.size
            pool_rows = index.size
        else:
            parts = ann_recall.approximate_parts(
                vectors, langs, kind, lists_per_sqrt=float(config.get("lists", 4.0)),
                code=str(config.get("code", "fp16")), hnsw_m=int(config.get("m", 32)),
                bits=int(config.get("bits", 2)),
            )  # fmt: skip
            live = np.arange(len(vectors))
            index = DenseIndex.assemble(
                kind, vectors, lang_list, centroids, [(live, parts, len(vectors))]
            )
            build_s = time.perf_counter() - t0
            nbytes = ann_recall.part_bytes(parts, scratch) + index.pool.sa_code_size() * (
                index.pool.ntotal
            )
            pool_rows = index.pool.ntotal
            knob = {"ivf": "nprobe", "hnsw": "ef", "rabitq": "rerank"}[kind]
            settings = [
                (f"{name} {knob}={v}", _setter(knob, int(v)))
                for v in config[knob]  # type: ignore[union-attr]
            ]
        grown = current_rss_mb() - rss0
        results = ann_recall.measure(
            index, queries, reference, centred, chunk_case, settings, origin
        )
        for label, row in results.items():
            row.update(
                {
                    "config": name,
                    "build_seconds": round(build_s, 1),
                    "index_mb": round(nbytes / 2**20, 1),
                    "rss_growth_mb": round(grown, 1),
                    "pool_rows": int(pool_rows),
                }
            )
            out["settings"][label] = row  # type: ignore[index]
        del index
        gc.collect()
    return out


def _setter(knob: str, value: int):
    def apply(index) -> None:
        if knob == "nprobe":
            index.nprobe = value
        elif knob == "rerank":
            index.rerank = value
        else:
            index.ef_search = value

    return apply


def worker_real(params: dict) -> dict:
    """Approximate search on real vectors against the Gaussian model fitted to them.

    Real embeddings of a million chunks are out of reach here, so the large corpora draw
    their vectors from a model (:class:`synth.VectorModel`). This phase tells how that model
    changes recall: the distinct sentences of the Participedia chunks are embedded for real
    (as passages, cached), the model is fitted to them, and the same IVF settings are measured
    on the real vectors and on as many drawn from the model (same cases and languages).
    """
    import numpy as np

    from benchmarks import ann_recall
    from casesearch.index.storage.centering import centre, language_centroids
    from casesearch.index.storage.dense import DenseIndex, use_single_thread

    work = Path(params["work"])
    embedder = _embedder(work, params.get("backend"))
    base = synth.base_cases(synth.load_participedia())
    sentences, case_of = synth.base_sentences(base)
    t0 = time.perf_counter()
    done = synth.embed_sentences(sentences, embedder, work / "cache", float(params["budget"]))
    embed_s = time.perf_counter() - t0
    known = synth.load_cached_vectors(work / "cache", "sentences")
    rows = np.flatnonzero(done)
    real = np.stack(
        [known[synth.chunk_hash(embedder.model_id, sentences[i])] for i in rows]
    ).astype(np.float32)
    case_of = case_of[rows]
    langs = np.asarray([base[c].lang for c in case_of.tolist()], dtype=object)
    model = synth.fit_model_to(real, case_of, langs)
    drawn = synth.draw_vectors(model, case_of, langs)
    texts, sources = recall_questions()
    queries = _question_vectors(work, embedder, texts)
    out: dict[str, object] = {
        "sentences": len(sentences),
        "embedded": len(rows),
        "embed_seconds": round(embed_s, 1),
        "questions": len(texts),
        "question_sources": sources,
        "sets": {},
    }
    lang_list = langs.tolist()
    for name, vectors in (("real", real), ("model", drawn)):
        centroids = language_centroids(vectors, lang_list)
        centred = centre(vectors, lang_list, centroids)
        reference = ann_recall.exact_reference(centred, queries, case_of)
        use_single_thread()
        parts = ann_recall.approximate_parts(vectors, langs, "ivf", min_rows=1000)
        live = np.arange(len(vectors))
        index = DenseIndex.assemble(
            "ivf", vectors, lang_list, centroids, [(live, parts, len(vectors))]
        )
        settings = [(f"ivf nprobe={v}", _setter("nprobe", v)) for v in params["nprobe"]]
        result = ann_recall.measure(index, queries, reference, centred, case_of, settings)
        top = np.sort(reference.scores, axis=1)
        out["sets"][name] = {  # type: ignore[index]
            "settings": result,
            "nlist": [int(faiss_lists(p.index)) for p in parts],
            "score_gap_1_100": round(float(np.mean(top[:, -1] - top[:, 0])), 4),
            "score_gap_10_100": round(float(np.mean(top[:, -10] - top[:, 0])), 4),
        }
    return out


def faiss_lists(index) -> int:
    import faiss

    return faiss.extract_index_ivf(index).nlist


def worker_recall(params: dict) -> dict:
    """Top-10 cases of ``Searcher.search`` (hybrid and dense) on a built index, against the
    same searcher with an exhaustive float16 index swapped in."""
    import numpy as np

    from casesearch.index.search.searcher import Searcher
    from casesearch.index.storage.centering import centre
    from casesearch.index.storage.dense import DenseIndex

    work, size = Path(params["work"]), int(params["size"])
    embedder = _embedder(work, params.get("backend"))
    texts, sources = recall_questions()
    data_dir = _corpus_dir(work, size)
    searcher = Searcher.load(data_dir, embedder)
    approximate = searcher.dense
    if not approximate.parts:
        return {"size": size, "skipped": "the index is exhaustive"}
    vectors = approximate.raw_vectors(np.arange(approximate.size))
    centroids = dict(zip(searcher.centroid_langs, searcher.centroid_matrix, strict=True))
    langs = searcher.chunk_lang.tolist()
    exhaustive = DenseIndex.build(centre(vectors, langs, centroids, inplace=True), "flat")
    del vectors
    out: dict[str, object] = {
        "size": size,
        "dense_kind": searcher.manifest.dense_kind,
        "approximate_rows": approximate.approximate_rows,
        "questions": len(texts),
        "question_sources": sources,
    }

    def top10(text: str, mode: str) -> list[str]:
        return [r.case_id for r in searcher.search(text, 10, mode=mode, highlight=False).results]

    for mode in ("hybrid", "dense"):
        hits, worst = [], 1.0
        for text in texts:
            searcher.dense = approximate
            got = top10(text, mode)
            searcher.dense = exhaustive
            want = top10(text, mode)
            hits.append(len(set(got) & set(want)) / max(1, len(want)))
            worst = min(worst, hits[-1])
        out[mode] = {
            "recall_cases_at_10": round(float(np.mean(hits)), 4),
            "questions_below_0.9": int(np.sum(np.asarray(hits) < 0.9)),
            "min": round(worst, 2),
        }
    return out


def worker_participedia(params: dict) -> dict:
    """Ingest and index the Participedia file end to end, as ``casesearch index`` does."""
    from casesearch.index.update import update_index

    work = Path(params["work"])
    data_dir = work / "participedia-e2e"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    t0 = time.perf_counter()
    embedder = _embedder(work, params.get("backend"))
    load_s = time.perf_counter() - t0
    phases: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        phases.setdefault(phase, time.perf_counter())

    report = update_index([synth.PARTICIPEDIA], data_dir, embedder, on_progress=progress)
    assert report.sentences is not None
    build, sentences = report.build, report.sentences
    ingest_s = phases.get("embed", phases["save"]) - phases["ingest"]
    return {
        "backend": _backend_name(embedder),
        "cases": build.cases,
        "chunks": build.chunks,
        "model_load_seconds": round(load_s, 1),
        "ingest_seconds": round(ingest_s, 1),
        "index_seconds": {k: round(v, 1) for k, v in build.seconds.items()},
        "searchable_after_seconds": round(ingest_s + build.seconds["total"], 1),
        "sentences": sentences.sentences,
        "sentence_seconds": round(sentences.seconds, 1),
        "total_seconds": round(report.seconds, 1),
    }


WORKERS = {
    "base": worker_base,
    "build": worker_build,
    "search": worker_search,
    "throughput": worker_throughput,
    "add_one": worker_add_one,
    "ann": worker_ann,
    "recall": worker_recall,
    "real": worker_real,
    "participedia": worker_participedia,
}


# --------------------------------------------------------------------------- report
def markdown(results: dict) -> str:
    """The tables BENCHMARKS.md quotes, from a results dict."""
    lines = []
    search = results.get("search", {}).get("results", {})
    if search:
        lines += [
            "| chunks | highlight | p50 ms | p95 ms | "
            + " | ".join(f"{s} p50 (2nd thread)" for s in SECOND_STAGES)
            + " | "
            + " | ".join(f"{s} p50" for s in MAIN_STAGES)
            + " | shares: "
            + " / ".join((*MAIN_STAGES, "other"))
            + " |",
            "|---:|---|---:|---:|" + "---:|" * (len(SECOND_STAGES) + len(MAIN_STAGES)) + "---|",
        ]
        for row in search.values():
            stage = row["stage_ms"]
            share = row["share_percent"]
            cells = [
                f"{stage[s]['p50']:.1f}" if s in stage else "—"
                for s in (*SECOND_STAGES, *MAIN_STAGES)
            ]
            shares = " / ".join(f"{share.get(s, 0.0):.0f}%" for s in (*MAIN_STAGES, "other"))
            lines.append(
                f"| {row['size']:,} | {row['highlight']} | {row['total_ms']['p50']:.1f} | "
                f"{row['total_ms']['p95']:.1f} | " + " | ".join(cells) + f" | {shares} |"
            )
        lines.append("")
    for build in results.get("builds", []):
        lines.append(f"build {build['size']:,}: {build['build_seconds']} ({build['index_mb']} MB)")
    if "add_one" in results:
        lines.append(f"add one document: median {results['add_one']['median_seconds']}")
    if "throughput" in results:
        lines.append(f"throughput: {results['throughput']}")
    for ann in results.get("ann", []):
        lines += [
            f"ann {ann['size']:,} ({ann['vectors']} vectors, {ann['questions']} questions):",
            "| setting | cases@10 | chunks@100 | within 0.001 | within 0.01 | p50 ms | p95 ms "
            "| build s | index MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, row in ann["settings"].items():
            lines.append(
                f"| {label} | {row['recall_cases']:.3f} | {row['recall_chunks']:.3f} | "
                f"{row['recall_chunks_eps0.001']:.3f} | {row['recall_chunks_eps0.01']:.3f} | "
                f"{row['ms_p50']:.2f} | {row['ms_p95']:.2f} | {row['build_seconds']} | "
                f"{row['index_mb']} |"
            )
        lines.append("")
    if "recall" in results:
        lines.append(f"recall through the searcher: {results['recall']}")
    if "participedia" in results:
        lines.append(f"participedia: {results['participedia']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "search.json"))
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK), help="indexes and caches")
    parser.add_argument("--questions", type=int, default=60, help="questions to time")
    parser.add_argument("--throughput-chunks", type=int, default=500)
    parser.add_argument("--add-repeats", type=int, default=3)
    parser.add_argument(
        "--embed-budget",
        type=float,
        default=3600,
        help="seconds to spend embedding base chunks not cached yet (0: use the cache as is)",
    )
    parser.add_argument("--backend", default=None, help="embedding backend (default: default)")
    parser.add_argument("--skip", default="", help="phases to skip, comma-separated")
    parser.add_argument("--participedia", action="store_true", help="also ingest+index it")
    parser.add_argument(
        "--vectors",
        choices=["spread", "neardup"],
        default="spread",
        help="synthetic chunk vectors: drawn from a model of real ones (spread) or noisy "
        "copies of base vectors (neardup)",
    )
    parser.add_argument("--dense", default="auto", help="index kind of the builds")
    parser.add_argument("--ann-sizes", default="", help="sizes of the ann phase (default: largest)")
    parser.add_argument(
        "--ann-configs", default=",".join(ANN_CONFIGS), help="settings of the ann phase"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        report_result(WORKERS[args.worker](json.loads(args.params)))
        return 0

    try:
        synth.load_participedia()
    except synth.DataMissingError as exc:
        print(str(exc))
        return 0
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    skip = set(args.skip.split(","))
    common = {"work": str(work), "backend": args.backend, "vectors": args.vectors}
    script = Path(__file__).resolve()
    out_path = Path(args.out)
    results: dict[str, object] = {}
    if out_path.exists():  # phases skipped this time keep their previous figures
        results = json.loads(out_path.read_text(encoding="utf-8"))
    results["machine"] = machine()
    results["command"] = "benchmarks/bench_search.py " + " ".join(sys.argv[1:])

    def save() -> None:
        for key, value in results.items():  # each phase keeps the command that produced it
            if key not in skip and isinstance(value, dict) and "peak_rss_mb" in value:
                value["command"] = results["command"]
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")

    if "base" not in skip:
        log("embedding base chunks (cached)")
        results["base"] = run_worker(script, "base", {**common, "budget": args.embed_budget})
        save()
    if "throughput" not in skip:
        log("indexing throughput")
        results["throughput"] = run_worker(
            script, "throughput", {**common, "chunks": args.throughput_chunks}
        )
        save()
    if "build" not in skip:
        results["builds"] = []
        for size in sizes:
            log(f"building {size}")
            build = run_worker(script, "build", {**common, "size": size, "dense": args.dense})
            results["builds"].append(build)
            save()
    if "search" not in skip:
        log("search latency")
        results["search"] = run_worker(
            script, "search", {**common, "sizes": sizes, "questions": args.questions}
        )
        save()
    if "add_one" not in skip:
        log("adding one document")
        results["add_one"] = run_worker(
            script, "add_one", {**common, "size": sizes[-1], "repeats": args.add_repeats}
        )
        save()
    if "recall" not in skip:
        log("recall of the searcher's top 10 cases")
        results["recall"] = run_worker(script, "recall", {**common, "size": sizes[-1]})
        save()
    if "real" not in skip:
        log("approximate search on real sentence vectors and on the model of them")
        params = {**common, "budget": args.embed_budget, "nprobe": [4, 8, 16, 32, 64, 128]}
        results["real"] = run_worker(script, "real", params)
        save()
    if "ann" not in skip:
        results["ann"] = []
        configs = [c for c in args.ann_configs.split(",") if c]
        ann_sizes = [int(s) for s in args.ann_sizes.split(",") if s] or [sizes[-1]]
        for size in ann_sizes:
            log(f"approximate search at {size}")
            params = {**common, "size": size, "configs": configs}
            results["ann"].append(run_worker(script, "ann", params))
            save()
    if args.participedia:
        log("participedia end to end")
        results["participedia"] = run_worker(script, "participedia", common)
        save()
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
