"""``casesearch eval``: score the searcher on labelled questions and write a report.

Registered by :mod:`casesearch.cli` (``add_arguments`` and ``run``). Without ``--beir`` the
project's own questions (``eval/questions``) are run against the data directory's index, built
from the bundled corpus first if there is none; ``--beir DIR`` (repeatable) evaluates BEIR
folders on cached throwaway indexes instead; ``--tune`` grid-searches the search settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from casesearch.core.config import DEFAULT_QUESTIONS, REPO_ROOT, default_model, resolve_data_dir
from casesearch.eval.dataset import SPLITS
from casesearch.eval.metrics import MEASURE_NAMES
from casesearch.eval.runner import DEFAULT_DEPTH, EvalReport
from casesearch.index.search.searcher import SEARCH_MODES

#: Shared BEIR sets, next to the repository when present (never copied into it).
SHARED_EVAL = REPO_ROOT.parent / "shared" / "data" / "eval" if REPO_ROOT else None
SHARED_SETS = ("xquad-da-en", "xquad-en-da", "xquad-mixed", "ntrex-title-da-en")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The eval options (the caller adds --data-dir, --model and --allow-download)."""
    parser.add_argument(
        "--questions",
        default=None,
        help="BEIR folder of labelled questions (default: eval/questions in the repository)",
    )
    parser.add_argument(
        "--beir",
        action="append",
        default=None,
        metavar="DIR",
        help="evaluate a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) on its own "
        "cached index; repeatable",
    )
    parser.add_argument(
        "--mode", choices=[*SEARCH_MODES, "all"], default="all", help="search mode(s) to run"
    )
    parser.add_argument(
        "--split", choices=list(SPLITS), default="all", help="question split (own questions)"
    )
    parser.add_argument(
        "--depth", type=int, default=DEFAULT_DEPTH, help="cases ranked per question"
    )
    parser.add_argument(
        "--out",
        default=None,
        help="report folder (default: a new timestamped folder under <data-dir>/eval-reports)",
    )
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument(
        "--tune",
        action="store_true",
        help="grid-search fusion/grouping settings on the tune split, report them on test",
    )
    parser.add_argument(
        "--chunk-words",
        default=None,
        help="with --tune: also try these chunk sizes on the bundled corpus, e.g. 100,150,200 "
        "(re-ingests and re-embeds)",
    )


def selected_modes(value: str) -> list[str]:
    """``all`` -> every search mode, else the one named."""
    return list(SEARCH_MODES) if value == "all" else [value]


def load_model(args: argparse.Namespace, data_dir: Path):
    """The embedding model, loaded once for the whole command."""
    from casesearch.index.model.embedder import load_embedder

    return load_embedder(
        getattr(args, "model", None) or default_model(),
        data_dir,
        allow_download=getattr(args, "allow_download", False) or None,
    )


def summary_lines(report: EvalReport) -> list[str]:
    """A plain-text table of every mode and language pair."""
    head = f"{'mode':<7} {'pair':<10} {'n':>5} " + " ".join(f"{m:>8}" for m in MEASURE_NAMES)
    lines = [
        f"== {report.name} ({report.config['questions']} questions, "
        f"split {report.config['split']})",
        head,
    ]
    for mode, pairs in report.metrics.items():
        for pair, values in pairs.items():
            cells = " ".join(f"{values[m]:>8.3f}" for m in MEASURE_NAMES)
            lines.append(f"{mode:<7} {pair:<10} {int(values['questions']):>5} {cells}")
    for t in report.significance:
        if t["pair"] == "all":
            lines.append(
                f"paired test {t['a']} vs {t['b']} ({t['units']} {t['unit']}s): "
                f"t-test p={_fmt_p(t['t_p'])}, Wilcoxon p={_fmt_p(t['wilcoxon_p'])}"
            )
    return lines


def _fmt_p(value: object) -> str:
    return "n/a" if value is None else f"{float(value):.3g}"  # type: ignore[arg-type]


def run(args: argparse.Namespace) -> int:
    """Run the evaluation the arguments ask for; exit code 0 on success, 2 on bad input."""
    from casesearch.eval.beir import load_beir_questions, main_languages, prepare_beir_index
    from casesearch.eval.default_index import ensure_index
    from casesearch.eval.report import write_report
    from casesearch.eval.runner import run_evaluation
    from casesearch.index.search.searcher import Searcher
    from casesearch.index.storage.manifest import IndexError_

    data_dir = resolve_data_dir(args.data_dir)
    modes = selected_modes(args.mode)
    progress = sys.stderr.isatty() and not args.json
    for folder in args.beir or []:
        if not (Path(folder) / "corpus.jsonl").exists():
            print(f"Not a BEIR folder (no corpus.jsonl): {folder}", file=sys.stderr)
            return 2
    questions_dir = Path(args.questions) if args.questions else DEFAULT_QUESTIONS
    if not (questions_dir / "queries.jsonl").exists():
        print(f"No queries.jsonl in {questions_dir}", file=sys.stderr)
        return 2
    embedder = load_model(args, data_dir)

    if args.tune:
        from casesearch.eval.tune import run_tuning

        return run_tuning(args, data_dir, embedder, questions_dir)

    jobs: list[tuple[Path, object, str]] = []  # (data dir of the index, questions, split)
    if not args.beir or args.questions:
        try:
            built = ensure_index(data_dir, embedder, progress=progress)
        except RuntimeError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        if built is not None:
            print(
                f"built the index from the bundled corpus: {built.cases} cases, "
                f"{built.chunks} chunks",
                file=sys.stderr,
            )
        jobs.append((data_dir, questions_dir, args.split))
    for folder in args.beir or []:
        index_data = prepare_beir_index(Path(folder), data_dir, embedder, progress=progress)
        jobs.append((index_data, Path(folder), "all"))

    out_root = Path(args.out) if args.out else None
    payload = []
    for index_data, questions, split in jobs:
        try:
            searcher = Searcher.load(index_data, embedder)
        except IndexError_ as exc:
            print(str(exc), file=sys.stderr)
            return 2
        if index_data != data_dir:
            languages = main_languages([str(c["lang"]) for c in searcher.cases])
            questions = load_beir_questions(Path(questions), languages)
        report = run_evaluation(searcher, questions, modes, split, depth=args.depth)
        out_dir = None
        if out_root is not None:
            out_dir = out_root if len(jobs) == 1 else out_root / report.name
        folder = write_report(report, data_dir=data_dir, out_dir=out_dir)
        if args.json:
            payload.append(
                {
                    "name": report.name,
                    "report_dir": str(folder),
                    "metrics": report.metrics,
                    "significance": report.significance,
                }
            )
        else:
            print("\n".join(summary_lines(report)))
            print(f"report: {folder / 'report.md'}\n")
    if args.json:
        print(json.dumps(payload if len(payload) > 1 else payload[0], indent=2))
    return 0


def build_parser(prog: str = "python -m eval") -> argparse.ArgumentParser:
    """A stand-alone parser with the common options, for ``python -m eval.tune`` and friends."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="the casesearch data directory")
    parser.add_argument("--model", default=None, help="embedding model name or folder")
    parser.add_argument("--allow-download", action="store_true")
    add_arguments(parser)
    return parser
