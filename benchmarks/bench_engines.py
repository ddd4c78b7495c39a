"""Embedding throughput of the local engine against Ray with 1 and 2 workers, side by side.

Usage::

    flock /tmp/casesearch-cpu.lock .venv/bin/python benchmarks/bench_engines.py \\
        [--chunks 300] [--rounds 3] [--out benchmarks/results/engines.json]

What it measures, in one process, on one fixed set of real Participedia chunks (the first
``--chunks`` chunks of the export, in case order; the seed corpus when the shared data is
absent):

* **chunks/s** of ``embed_documents`` for the whole set with the local engine (the model in
  this process, every core), and with the Ray engine at 1 worker x 1 thread and 2 workers x
  1 thread each (default batches of about 64 chunks), alternating engine order round by round;
  medians over ``--rounds``. Each Ray run includes what a real run pays once per phase:
  starting the actors and loading the model in each; ``steady`` counts only the chunks after
  the first batch arrived, over the time after it.
* **Ray's own cost per batch**: the same pipeline with a model that returns zero vectors at
  once, run with many small batches and with few large ones; the difference in wall time per
  extra batch is the per-batch overhead, the rest the fixed cost of a pipeline.
* **sentences/s** (one round): the sentences of the chunk set, local against 2 workers.

Ray is started once (``ray.init(num_cpus=2)``, timed) and shared by every Ray run.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DEFAULT_WORK, REPO, log, machine, model_data

#: The shared data lives next to the main checkout (``../shared``); from a worktree under
#: ``wt/`` it is one level further up.
PARTICIPEDIA = next(
    (
        path
        for path in (
            root / "shared" / "data" / "participedia" / "participedia-2016-nodes.jsonl"
            for root in (REPO.parent, REPO.parent.parent)
        )
        if path.exists()
    ),
    REPO.parent / "shared" / "data" / "participedia" / "participedia-2016-nodes.jsonl",
)


class NoModel:
    """A Ray worker that loads nothing and returns zero vectors (Ray's cost alone)."""

    def __init__(self, spec) -> None:
        self.dim = spec.dim

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(batch["row"])
        return {
            "row": np.asarray(batch["row"], dtype=np.int64),
            "vector": np.zeros((n, self.dim), dtype=np.float32),
            "worker": np.full(n, "noop"),
        }


def chunk_texts(work: Path, limit: int) -> tuple[list[str], str]:
    """The first ``limit`` chunk texts (as embedded) of Participedia, else the seed corpus."""
    from casesearch.ingest.model import chunk_text_for_embedding
    from casesearch.ingest.pipeline import ingest_paths

    source = PARTICIPEDIA if PARTICIPEDIA.exists() else REPO / "corpus"
    store = ingest_paths([source], work / "engines-ingest").store
    assert store is not None
    texts = [chunk_text_for_embedding(c, ch) for c in store.cases for ch in c.chunks]
    return texts[:limit], str(source.name)


def timed_run(engine, texts: Sequence[str], worker: type | None = None) -> dict[str, float]:
    """Wall time of one whole ``embed_documents`` (or pipeline) run, and its steady part."""
    started = time.perf_counter()
    first_at, first_rows, rows, batches = 0.0, 0, 0, 0
    stream = engine.embed_documents(texts) if worker is None else engine.run(texts, worker)
    for batch in stream:
        if not batches:
            first_at, first_rows = time.perf_counter(), len(batch.rows)
        rows += len(batch.rows)
        batches += 1
    seconds = time.perf_counter() - started
    assert rows == len(texts), (rows, len(texts))
    tail = seconds - (first_at - started)
    steady = (rows - first_rows) / tail if tail > 0 and rows > first_rows else 0.0
    return {
        "seconds": round(seconds, 3),
        "rate": round(rows / seconds, 3),
        "steady_rate": round(steady, 3),
        "first_batch_s": round(first_at - started, 3),
        "batches": batches,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--batch-chars", type=int, default=None, help="Ray batch size (default: the engine's)"
    )
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/engines.json")
    args = parser.parse_args()

    import ray

    from casesearch.index.model.embedder import load_embedder
    from casesearch.index.storage.engines import EngineOptions, LocalEngine, open_engine
    from casesearch.index.storage.sentence_vectors import unique_sentences

    work = args.work_dir
    embedder = load_embedder(None, model_data(work))
    texts, source = chunk_texts(work, args.chunks)
    chars = [len(t) for t in texts]
    log(f"{len(texts)} chunks from {source}, median {statistics.median(chars):.0f} characters")

    t0 = time.perf_counter()
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.ERROR,
    )
    ray_start = time.perf_counter() - t0
    log(f"ray.init: {ray_start:.1f}s")

    default_batch = args.batch_chars or EngineOptions.batch_chars

    def ray_engine(workers: int, batch_chars: int = default_batch):
        options = EngineOptions("ray", workers=workers, batch_chars=batch_chars)
        return open_engine(options, embedder, model_data(work))

    candidates = {
        "local": lambda: LocalEngine(embedder),
        "ray-1x1": lambda: ray_engine(1),
        "ray-2x1": lambda: ray_engine(2),
    }
    # Warm-up: the first model load and page cache, not measured.
    timed_run(LocalEngine(embedder), texts[:16])
    timed_run(ray_engine(2), texts[:16])

    runs: dict[str, list[dict[str, float]]] = {name: [] for name in candidates}
    names = list(candidates)
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            engine = candidates[name]()
            try:
                result = timed_run(engine, texts)
            finally:
                engine.close()
            runs[name].append(result)
            log(f"round {r + 1} {name}: {result}")

    # Ray's own cost: a model that does nothing, many small batches against few large ones.
    overhead: dict[str, dict[str, float]] = {}
    for label, batch_chars in (("small", 1_024), ("large", default_batch)):
        samples = []
        for _ in range(args.rounds):
            engine = ray_engine(2, batch_chars)
            samples.append(timed_run(engine, texts, NoModel))
            engine.close()
        overhead[label] = {
            "batches": samples[0]["batches"],
            "seconds_median": statistics.median(s["seconds"] for s in samples),
        }
        log(f"no-op model, {label} batches: {overhead[label]}")
    extra = overhead["small"]["batches"] - overhead["large"]["batches"]
    per_batch_ms = (
        1000
        * (overhead["small"]["seconds_median"] - overhead["large"]["seconds_median"])
        / max(1, extra)
    )

    # Sentences (one round): what preparing sentence vectors costs on each engine.
    sentences = unique_sentences(texts)
    sentence_runs = {}
    for name in ("local", "ray-2x1"):
        engine = candidates[name]()
        try:
            sentence_runs[name] = timed_run(engine, sentences)
        finally:
            engine.close()
        log(f"sentences {name}: {sentence_runs[name]}")
    ray.shutdown()

    medians = {
        name: {
            "rate": statistics.median(x["rate"] for x in results),
            "steady_rate": statistics.median(x["steady_rate"] for x in results),
            "seconds": statistics.median(x["seconds"] for x in results),
            "first_batch_s": statistics.median(x["first_batch_s"] for x in results),
        }
        for name, results in runs.items()
    }
    per_core = medians["ray-1x1"]["steady_rate"]
    efficiency_2 = medians["ray-2x1"]["steady_rate"] / (2 * per_core) if per_core else 0.0
    projection = {
        f"{cores}_cores_hours": round(1_000_000 / (per_core * cores) / 3600, 1)
        if per_core
        else None
        for cores in (1, 8, 64)
    }
    result = {
        "machine": machine(),
        "chunks": len(texts),
        "source": source,
        "median_chars": statistics.median(chars),
        "rounds": args.rounds,
        "batch_chars": default_batch,
        "ray_init_s": round(ray_start, 2),
        "runs": runs,
        "medians": medians,
        "per_core_steady_chunks_per_s": per_core,
        "two_worker_efficiency": round(efficiency_2, 3),
        "one_million_chunks_at_per_core_rate": projection,
        "ray_overhead": {**overhead, "per_batch_ms": round(per_batch_ms, 2)},
        "sentences": {
            "count": len(sentences),
            "per_chunk": round(len(sentences) / len(texts), 2),
            "runs": sentence_runs,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("medians", "ray_overhead")}, indent=2))
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
