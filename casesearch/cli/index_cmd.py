"""``casesearch index``: ingest files (default: the bundled corpus) and update the index.

``--engine ray`` embeds on a Ray cluster (``--address``, ``--workers``); everything else, and
every write, stays on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from casesearch.cli import ingest_args, options
from casesearch.cli.progress import TerminalProgress
from casesearch.core.config import DEFAULT_CORPUS
from casesearch.index.storage.build import BuildReport
from casesearch.index.storage.dense import APPROXIMATE_THRESHOLD, DEFAULT_APPROXIMATE, KINDS
from casesearch.index.storage.engines import (
    ENGINES,
    EngineOptions,
    EngineRunError,
    EngineUnavailableError,
    check_engine,
    open_engine,
)
from casesearch.index.update import NothingToIndexError, UpdateOptions, update_index


def add_arguments(parser: argparse.ArgumentParser) -> None:
    ingest_args.add_arguments(parser)
    parser.add_argument(
        "--no-sentences",
        action="store_true",
        help="skip preparing sentence vectors (results then embed their sentences when shown)",
    )
    parser.add_argument(
        "--dense",
        choices=list(KINDS),
        default="auto",
        help="exhaustive search over float16 (flat) or float32 (flat32) vectors, or "
        "approximate search (rabitq: compact codes of every vector, the best re-scored "
        "exactly; ivf: inverted lists; hnsw: a graph); auto picks flat, or "
        f"{DEFAULT_APPROXIMATE} above {APPROXIMATE_THRESHOLD:,} chunks",
    )
    parser.add_argument("--rebuild", action="store_true", help="re-embed every chunk")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where chunks and sentences are embedded: this process (local), or a Ray "
        "cluster (ray; pip install 'casesearch[ray]')",
    )
    parser.add_argument(
        "--address",
        default=None,
        help="with --engine ray: 'auto' (or HEAD_IP:6379) joins the Ray cluster this machine is "
        "a node of (ray start); default: start Ray on this machine for the run",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="with --engine ray: model replicas (default: one per CPU of the cluster, "
        "divided by --worker-threads)",
    )
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=1,
        help="with --engine ray: CPU threads per model replica (default 1)",
    )
    parser.add_argument(
        "--batch-chars",
        type=int,
        default=EngineOptions.batch_chars,
        help="with --engine ray: characters of passages per batch sent to a worker (the unit "
        "that is retried and saved; default about 64 chunks)",
    )
    parser.add_argument(
        "--worker-dir",
        default=None,
        help="with --engine ray: folder on each node for the workers' converted model "
        "(default: ~/.cache/casesearch on a cluster, the data directory on this machine)",
    )
    parser.add_argument("--json", action="store_true", help="print the build report as JSON")


class _IndexProgress(TerminalProgress):
    """Progress bars, plus a word when the index is live and sentences are being prepared."""

    def __init__(self, enabled: bool, talk: bool, engine: Callable[[], str] | None = None) -> None:
        super().__init__(enabled)
        self.talk = talk
        self.engine = engine  # says where embedding runs (workers, nodes), shown on the bar
        self._announced = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "sentences" and not self._announced and self.talk and total:
            self._announced = True  # once, also when bars are off (sentences report often)
            self.close()
            print(
                "The index is ready. Preparing sentence vectors, so results show their best "
                "sentence at once (Ctrl-C stops this safely; the next run resumes).",
                file=sys.stderr,
            )
        super().__call__(phase, done, total)
        if self._bar is not None and self.engine is not None and phase in ("embed", "sentences"):
            self._bar.set_postfix_str(self.engine(), refresh=False)


def say(message: str) -> None:
    """Tell the user at once (the waiting message comes before any output)."""
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Ingest the given files (default: the bundled corpus) and update the index."""
    data_dir = options.data_dir(args)
    paths = [Path(p) for p in args.paths] or [DEFAULT_CORPUS]
    engine_options = EngineOptions(
        name=args.engine,
        address=args.address,
        workers=args.workers,
        threads_per_worker=args.worker_threads,
        batch_chars=args.batch_chars,
        worker_dir=args.worker_dir,
    )
    try:
        check_engine(engine_options)  # before the model is loaded
    except EngineUnavailableError as exc:
        print(f"casesearch: {exc}", file=sys.stderr)
        return 2
    embedder = options.embedder(args, data_dir)
    update = UpdateOptions(
        ingest=ingest_args.options_from_args(args),
        dense_kind=args.dense,
        rebuild=args.rebuild,
        sentences=not args.no_sentences,
        engine=engine_options,
    )
    try:
        engine = open_engine(engine_options, embedder, data_dir, batch_size=update.batch_size)
    except EngineUnavailableError as exc:
        print(f"casesearch: {exc}", file=sys.stderr)
        return 2
    label = None if args.engine == "local" else engine.describe
    progress = _IndexProgress(sys.stderr.isatty() and not args.json, not args.json, label)
    try:
        report = update_index(
            paths,
            data_dir,
            embedder,
            options=update,
            on_progress=progress,
            engine=engine,
            on_wait=say,
        )
    except NothingToIndexError as exc:
        for item in exc.ingest.skipped:
            print(f"skipped {item['path']}: {item['reason']}", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return 2
    except (EngineUnavailableError, EngineRunError) as exc:
        progress.close()
        print(
            f"casesearch: {exc}\nThe previous index is intact, and the batches that finished "
            "are kept: running the same command again resumes.",
            file=sys.stderr,
        )
        return 1
    finally:
        progress.close()
        engine.close()
    for item in report.skipped:
        print(f"skipped {item['path']}: {item['reason']}", file=sys.stderr)
    built, sentences = report.build, report.sentences
    for note in built.repaired:
        print(f"repaired: {note}", file=sys.stderr)
    if args.json:
        out = {**built.to_dict(), "ingest": report.ingest.to_dict()}
        out["chunks_per_second"] = round(built.chunks_per_second, 2)
        out["sentence_vectors"] = None if sentences is None else asdict(sentences)
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    print(
        f"indexed {built.cases} cases, {built.chunks} chunks "
        f"({built.embedded} embedded, {built.reused} reused, {built.removed} removed; "
        f"{built.mode}) in {built.seconds['total']:.1f}s -> {built.index_dir}"
    )
    if built.embedded or built.resumed:
        print(_embedding_line(built))
    if sentences is not None:
        state = "stopped early" if sentences.interrupted else "done"
        print(
            f"sentence vectors: {sentences.sentences} sentences, {sentences.embedded} "
            f"embedded now, {sentences.stored_before} stored before ({state}, "
            f"{sentences.seconds:.1f}s)"
        )
    return 0


def _embedding_line(built: BuildReport) -> str:
    """Where chunks were embedded, how fast, and each worker's share."""
    parts = [
        f"embedded {built.embedded} chunks in {built.seconds.get('embed', 0.0):.1f}s "
        f"({built.chunks_per_second:.1f} chunks/s) on {built.engine}"
    ]
    if built.resumed:
        parts.append(f"{built.resumed} taken from an unfinished earlier run")
    if built.workers and set(built.workers) != {"local"}:
        shares = ", ".join(f"{w} {n}" for w, n in sorted(built.workers.items()))
        parts.append(f"per worker: {shares}")
    return "; ".join(parts)
