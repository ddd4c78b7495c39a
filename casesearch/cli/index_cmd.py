"""``casesearch index``: ingest files (default: the bundled corpus) and update the index."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from casesearch.cli import ingest_args, options
from casesearch.cli.progress import TerminalProgress
from casesearch.core.config import DEFAULT_CORPUS
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
        choices=["auto", "flat", "flat32", "hnsw"],
        default="auto",
        help="exhaustive search over float16 (flat) or float32 (flat32) vectors, or "
        "approximate (hnsw); auto picks flat, or hnsw above 300k chunks",
    )
    parser.add_argument("--rebuild", action="store_true", help="re-embed every chunk")
    parser.add_argument("--json", action="store_true", help="print the build report as JSON")


class _IndexProgress(TerminalProgress):
    """Progress bars, plus a word when the index is live and sentences are being prepared."""

    def __init__(self, enabled: bool, talk: bool) -> None:
        super().__init__(enabled)
        self.talk = talk

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "sentences" and self._phase != "sentences" and self.talk and total:
            self.close()
            print(
                "The index is ready. Preparing sentence vectors, so results show their best "
                "sentence at once (Ctrl-C stops this safely; the next run resumes).",
                file=sys.stderr,
            )
        super().__call__(phase, done, total)


def say(message: str) -> None:
    """Tell the user at once (the waiting message comes before any output)."""
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Ingest the given files (default: the bundled corpus) and update the index."""
    data_dir = options.data_dir(args)
    paths = [Path(p) for p in args.paths] or [DEFAULT_CORPUS]
    embedder = options.embedder(args, data_dir)
    update = UpdateOptions(
        ingest=ingest_args.options_from_args(args),
        dense_kind=args.dense,
        rebuild=args.rebuild,
        sentences=not args.no_sentences,
    )
    progress = _IndexProgress(sys.stderr.isatty() and not args.json, talk=not args.json)
    try:
        report = update_index(
            paths, data_dir, embedder, options=update, on_progress=progress, on_wait=say
        )
    except NothingToIndexError as exc:
        for item in exc.ingest.skipped:
            print(f"skipped {item['path']}: {item['reason']}", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        progress.close()
    for item in report.skipped:
        print(f"skipped {item['path']}: {item['reason']}", file=sys.stderr)
    built, sentences = report.build, report.sentences
    for note in built.repaired:
        print(f"repaired: {note}", file=sys.stderr)
    if args.json:
        out = {**built.to_dict(), "ingest": report.ingest.to_dict()}
        out["sentence_vectors"] = None if sentences is None else asdict(sentences)
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    print(
        f"indexed {built.cases} cases, {built.chunks} chunks "
        f"({built.embedded} embedded, {built.reused} reused, {built.removed} removed; "
        f"{built.mode}) in {built.seconds['total']:.1f}s -> {built.index_dir}"
    )
    if sentences is not None:
        state = "stopped early" if sentences.interrupted else "done"
        print(
            f"sentence vectors: {sentences.sentences} sentences, {sentences.embedded} "
            f"embedded now, {sentences.stored_before} stored before ({state}, "
            f"{sentences.seconds:.1f}s)"
        )
    return 0
