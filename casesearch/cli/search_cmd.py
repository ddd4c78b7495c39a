"""``casesearch search``: rank cases for one question, or for a file of questions."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from casesearch.cli import options
from casesearch.cli.wording import answer_notice, facts, filters_in_words, match_words, notices
from casesearch.core.languages import language_name
from casesearch.index.search import export
from casesearch.index.search.response import SearchFilters, SearchResponse
from casesearch.index.search.searcher import MAX_K, SEARCH_MODES, QueryError, Searcher
from casesearch.index.storage.manifest import IndexError_

#: Longest excerpt printed in plain output (characters).
EXCERPT_CHARS = 600


def number_of_results(value: str) -> int:
    """``-k``: a whole number from 1 to :data:`MAX_K`."""
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_K}, got {k}")
    return k


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "query", nargs="?", help="the question, in Danish, English or another language"
    )
    parser.add_argument(
        "-k", type=number_of_results, default=10, help=f"number of cases, 1-{MAX_K} (default 10)"
    )
    parser.add_argument("--mode", choices=SEARCH_MODES, default="hybrid")
    parser.add_argument("--lang", help="only cases in this language (da, en, ...)")
    parser.add_argument("--collection", action="append", help="only cases from this collection")
    parser.add_argument("--field", action="append", help="template field filter KEY=TEXT")
    parser.add_argument("--queries", help="BEIR queries.jsonl: search each, print JSON lines")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument(
        "--format",
        choices=("plain", "json", "csv", "md"),
        default=None,
        help="output: plain text (default), json (as --json), csv (a table for spreadsheets, "
        "UTF-8 with BOM) or md (Markdown with a citation per case)",
    )
    parser.add_argument("--no-highlight", action="store_true", help="skip best-sentence marking")


def filters_from_args(args: argparse.Namespace) -> SearchFilters:
    fields = []
    for item in args.field or []:
        key, _, value = item.partition("=")
        fields.append((key.strip(), value.strip()))
    return SearchFilters(
        lang=args.lang, collections=tuple(args.collection or ()), fields=tuple(fields)
    )


def print_plain(response: SearchResponse, out: TextIO = sys.stdout) -> None:
    """Results as a reader wants them: title, language, score, section, marked excerpt."""
    for notice in notices(response):
        print(f"note: {notice}", file=out)
    if not response.results:
        print("No matching cases.", file=out)
    elif response.likely_answered is False:
        print(answer_notice(), file=out)
        print(file=out)
    for r in response.results:
        excerpt = r.excerpt
        if r.highlight:
            s, e = r.highlight
            excerpt = f"{excerpt[:s]}>>> {excerpt[s:e]} <<<{excerpt[e:]}"
        excerpt = " ".join(excerpt.split())
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS] + "…"
        where = f" — {r.section}" if r.section else ""
        lang = language_name(r.lang)
        print(f"{r.rank:>2}. {r.title}  [{lang}]  {match_words(r)}{where}", file=out)
        print(f"    {excerpt}", file=out)
        print(f"    source: {r.url or r.source}", file=out)
        print(file=out)


def _record(response: SearchResponse) -> dict[str, object]:
    return {
        "query": response.query,
        "results": [r.to_dict() for r in response.results],
        "notices": notices(response),
        "facts": facts(response),
    }


def _read_questions(path: Path) -> list[tuple[str, str | None, str | None]]:
    """``(query id, text, error)`` per non-empty line; a bad line is reported, not fatal."""
    out: list[tuple[str, str | None, str | None]] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("not a JSON object")
                qid = str(item.get("_id", line_no))
                out.append((qid, str(item.get("text", "")), None))
            except ValueError as exc:
                out.append((str(line_no), None, f"line {line_no} of {path}: {exc}"))
    return out


def _run_batch(args: argparse.Namespace, searcher: Searcher) -> int:
    path = Path(args.queries)
    try:
        questions = _read_questions(path)
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    texts = [text for _, text, _ in questions if text is not None]
    answers = iter(
        searcher.search_batch(
            texts,
            args.k,
            mode=args.mode,
            filters=filters_from_args(args),
            highlight=not args.no_highlight,
        )
    )
    failed = 0
    for qid, text, error in questions:
        answer = next(answers) if text is not None else None
        if isinstance(answer, SearchResponse):
            print(json.dumps({"query_id": qid, **_record(answer)}, ensure_ascii=False))
            continue
        failed += 1
        message = error or str(answer)
        print(f"skipped {qid}: {message}", file=sys.stderr)
        print(json.dumps({"query_id": qid, "results": [], "error": message}, ensure_ascii=False))
    return 1 if failed and failed == len(questions) else 0


def run(args: argparse.Namespace) -> int:
    """Search one question, or a BEIR-style queries file with ``--queries``."""
    if not args.query and not args.queries:
        print("Give a question, or --queries FILE.jsonl.", file=sys.stderr)
        return 2
    try:
        searcher = Searcher.open(options.data_dir(args), options.model_settings(args))
    except IndexError_ as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.queries:
        return _run_batch(args, searcher)
    try:
        t0 = time.perf_counter()
        response = searcher.search(
            args.query,
            args.k,
            mode=args.mode,
            filters=filters_from_args(args),
            highlight=not args.no_highlight,
        )
        elapsed = (time.perf_counter() - t0) * 1000
    except QueryError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    output = args.format or ("json" if args.json else "plain")
    if output == "json":
        record = {**_record(response), "ms": round(elapsed, 1)}
        print(json.dumps(record, ensure_ascii=False, indent=2))
    elif output in ("csv", "md"):
        context = export.ExportContext(
            question=args.query, filters=filters_in_words(filters_from_args(args)), mode=args.mode
        )
        if output == "csv":
            table = export.rows(response, context, language_name)
            sys.stdout.buffer.write(export.to_csv(table))
            sys.stdout.flush()
        else:
            print(export.to_markdown(response, context, language_name))
    else:
        print_plain(response)
    return 0
