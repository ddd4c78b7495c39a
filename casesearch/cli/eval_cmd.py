"""``casesearch eval``: score the searcher on labelled questions and write a report.

Without ``--beir`` the project's own questions (``eval/questions``) are run against the data
directory's index, built from the bundled corpus first if there is none; ``--beir DIR``
(repeatable) evaluates BEIR folders on cached throwaway indexes instead; ``--tune``
grid-searches the search settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from casesearch.cli import options
from casesearch.cli.progress import TerminalProgress
from casesearch.core.config import DEFAULT_QUESTIONS
from casesearch.eval.dataset import SPLITS
from casesearch.eval.metrics import MEASURE_NAMES
from casesearch.eval.runner import DEFAULT_DEPTH, EvalReport
from casesearch.index.search.searcher import SEARCH_MODES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The eval options (the caller adds the common ones)."""
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
        "--calibrate",
        action="store_true",
        help="fit the relevance calibration on the tune split (with questions/unanswerable.jsonl),"
        " check it on test, write <data-dir>/calibration.json and a report",
    )
    parser.add_argument(
        "--calibration-out",
        default=None,
        metavar="FILE",
        help="with --calibrate: write the calibration here instead of <data-dir>/calibration.json",
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
    return "n/a" if not isinstance(value, int | float) else f"{float(value):.3g}"


def run(args: argparse.Namespace) -> int:
    """Run the evaluation the arguments ask for; exit code 0 on success, 2 on bad input."""
    from casesearch.eval.beir import load_beir_questions, main_languages, prepare_beir_index
    from casesearch.eval.report import write_report
    from casesearch.eval.runner import run_evaluation
    from casesearch.eval.sources import own_index, shared_folders
    from casesearch.index.search.searcher import Searcher
    from casesearch.index.storage.manifest import IndexError_
    from casesearch.index.update import NothingToIndexError

    folder_of_data = options.data_dir(args)
    modes = selected_modes(args.mode)
    progress = TerminalProgress(sys.stderr.isatty() and not args.json)
    for folder in args.beir or []:
        if not (Path(folder) / "corpus.jsonl").exists():
            print(f"Not a BEIR folder (no corpus.jsonl): {folder}", file=sys.stderr)
            return 2
    questions_dir = Path(args.questions) if args.questions else DEFAULT_QUESTIONS
    if not (questions_dir / "queries.jsonl").exists():
        print(f"No queries.jsonl in {questions_dir}", file=sys.stderr)
        return 2
    embedder = options.embedder(args, folder_of_data)

    if args.tune:
        from casesearch.eval.tune import render_tuning, run_tuning

        sizes = [int(s) for s in str(args.chunk_words or "").split(",") if s.strip()]
        result, out = run_tuning(
            folder_of_data,
            embedder,
            questions_dir,
            shared_folders=[Path(f) for f in args.beir] if args.beir else shared_folders(),
            chunk_sizes=sizes,
            depth=args.depth,
            out=Path(args.out) if args.out else None,
        )
        if args.json:
            summary = {k: v for k, v in result.items() if k != "grid"}
            print(json.dumps(summary, indent=2, default=str))
        else:
            print(render_tuning(result))
            print(f"written: {out / 'tuning.md'}")
        return 0

    if args.calibrate:
        return _calibrate(args, folder_of_data, embedder, questions_dir, progress)

    jobs: list[tuple[Path, Path, str]] = []  # (data dir of the index, questions, split)
    if not args.beir or args.questions:
        try:
            built = own_index(folder_of_data, embedder, on_progress=progress)
        except NothingToIndexError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        finally:
            progress.close()
        if built is not None:
            print(
                f"built the index from the bundled corpus: {built.build.cases} cases, "
                f"{built.build.chunks} chunks",
                file=sys.stderr,
            )
        jobs.append((folder_of_data, questions_dir, args.split))
    for folder in args.beir or []:
        index_data = prepare_beir_index(
            Path(folder), folder_of_data, embedder, on_progress=progress
        )
        progress.close()
        jobs.append((index_data, Path(folder), "all"))

    out_root = Path(args.out) if args.out else None
    payload = []
    for index_data, questions_folder, split in jobs:
        try:
            searcher = Searcher.load(index_data, embedder)
        except IndexError_ as exc:
            print(str(exc), file=sys.stderr)
            return 2
        if index_data != folder_of_data:
            languages = main_languages([c.lang for c in searcher.cases])
            questions = load_beir_questions(questions_folder, languages)
            report = run_evaluation(searcher, questions, modes, split, depth=args.depth)
        else:
            report = run_evaluation(searcher, questions_folder, modes, split, depth=args.depth)
        out_dir = None
        if out_root is not None:
            out_dir = out_root if len(jobs) == 1 else out_root / report.name
        folder = write_report(report, data_dir=folder_of_data, out_dir=out_dir)
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


def _calibrate(
    args: argparse.Namespace,
    folder_of_data: Path,
    embedder: object,
    questions_dir: Path,
    progress: TerminalProgress,
) -> int:
    """``--calibrate``: fit relevance on tune, check on test, write the file and a report."""
    from casesearch.eval.calibration import calibrate
    from casesearch.eval.calibration_report import render_calibration, write_calibration_report
    from casesearch.eval.dataset import load_questions, load_unanswerable
    from casesearch.eval.sources import own_index
    from casesearch.index.model.embedder import Embedder
    from casesearch.index.search.relevance import CALIBRATION_FILE
    from casesearch.index.search.searcher import Searcher
    from casesearch.index.update import NothingToIndexError

    assert isinstance(embedder, Embedder)
    try:
        own_index(folder_of_data, embedder, on_progress=progress)
    except NothingToIndexError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        progress.close()
    searcher = Searcher.load(folder_of_data, embedder)
    answerable = load_questions(questions_dir)
    unanswerable = load_unanswerable(questions_dir)
    result = calibrate(searcher, answerable, unanswerable, selected_modes(args.mode))
    target = (
        Path(args.calibration_out) if args.calibration_out else folder_of_data / CALIBRATION_FILE
    )
    result.calibration.save(target)
    folder = write_calibration_report(
        result, data_dir=folder_of_data, out_dir=Path(args.out) if args.out else None
    )
    if args.json:
        print(json.dumps({"calibration": str(target), "checked": result.checked}, indent=2))
    else:
        print(render_calibration(result))
        print(f"calibration: {target}\nreport: {folder / 'calibration.md'}")
    return 0
