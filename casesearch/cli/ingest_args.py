"""``casesearch ingest``: read files into the case store; and the ingest options.

:func:`add_arguments` and :func:`options_from_args` are shared with ``casesearch index``, which
ingests with the same options before it updates the index.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from casesearch.cli.progress import TerminalProgress
from casesearch.core.config import resolve_data_dir
from casesearch.core.languages import language_name
from casesearch.core.lock import writer_lock
from casesearch.ingest.options import IngestOptions
from casesearch.ingest.pipeline import ingest_paths


def _columns(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        role, sep, name = item.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise argparse.ArgumentTypeError(f"expected ROLE=COLUMN, got {item!r}")
        out[role.strip()] = name.strip()
    return out


def add_arguments(parser: argparse.ArgumentParser, *, data_dir: bool = False) -> None:
    """Add the ingest arguments (``--data-dir`` only when ``data_dir`` is true)."""
    parser.add_argument("paths", nargs="*", help="files and folders to ingest (recursively)")
    if data_dir:
        parser.add_argument("--data-dir", type=Path, required=True, help="the data directory")
    parser.add_argument(
        "--report", action="store_true", help="print a JSON summary of the run on stdout"
    )
    parser.add_argument(
        "--columns",
        type=_columns,
        default={},
        metavar="ROLE=COLUMN,...",
        help="column names in .csv/.jsonl exports, e.g. title=name,text=body "
        "(roles: title, text, url, lang, id)",
    )
    parser.add_argument(
        "--max-file-mb",
        type=float,
        default=None,
        help="skip files larger than this (default 20 MB)",
    )
    parser.add_argument(
        "--chunk-words", type=int, default=None, help="target words per chunk (default 150)"
    )
    parser.add_argument(
        "--no-split-lists",
        action="store_true",
        help="keep pages that list many short cases as one case",
    )


def options_from_args(args: argparse.Namespace) -> IngestOptions:
    """Ingest options from parsed arguments (missing arguments keep the defaults)."""
    options = IngestOptions()
    columns = getattr(args, "columns", None) or {}
    if columns:
        options = options.with_columns(columns)
    if getattr(args, "max_file_mb", None):
        options.max_file_bytes = int(args.max_file_mb * 1_000_000)
    if getattr(args, "chunk_words", None):
        options.chunk_words = max(20, args.chunk_words)
        options.max_chunk_words = max(options.max_chunk_words, options.chunk_words + 50)
    if getattr(args, "no_split_lists", False):
        options.split_lists = False
    return options


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Ingest ``args.paths`` into ``args.data_dir``.

    Returns:
        0 when at least one case was read; 1 (with a message on stderr) when nothing was.
    """
    if not args.paths:
        print("ingest: give at least one file or folder", file=sys.stderr)
        return 2
    paths = [Path(p) for p in args.paths]
    progress = TerminalProgress(sys.stderr.isatty())
    data_dir = resolve_data_dir(args.data_dir)
    try:
        with writer_lock(data_dir, purpose="casesearch ingest", on_wait=_say):
            report = ingest_paths(
                paths, data_dir, options=options_from_args(args), on_progress=progress
            )
    finally:
        progress.close()
    summary = report.to_dict()
    if args.report:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        langs = ", ".join(f"{language_name(k)} {v}" for k, v in report.languages.items())
        print(
            f"ingested {report.files} files: {report.cases} cases, {report.chunks} chunks"
            + (f" ({langs})" if langs else "")
            + f", {report.duplicates_merged} duplicates merged, {len(report.skipped)} skipped",
            file=sys.stderr,
        )
    for item in report.skipped:
        print(f"skipped {item['path']}: {item['reason']}", file=sys.stderr)
    if not report.ingested_anything:
        print(
            "ingest: no case could be read from " + ", ".join(map(str, paths)),
            file=sys.stderr,
        )
        return 1
    return 0
