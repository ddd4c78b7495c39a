"""Search latency of the app with many sessions at once, with and without an upload indexing.

Usage::

    flock /tmp/casesearch-cpu.lock .venv/bin/python benchmarks/bench_app_load.py \\
        [--sessions 10] [--searches 6] [--repeats 2] [--work-dir /tmp/casesearch-bench-load] \\
        [--out benchmarks/results/app_load.json]

Each session is an ``AppTest`` run of the real app in its own thread (see
``benchmarks/app_load.py``); a latency is the time from pressing Search to the finished page
(results shown and best sentences marked) as that session's script run sees it. Every
search asks a different labelled question (``eval/questions``), so none is answered from
the app's answer cache. The runs
alternate between "quiet" (only searches) and "upload" (a file is added and indexed through
the app's service while the sessions search), on a fresh copy of an index of the bundled
corpus each time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

from benchmarks.app_load import run_load  # noqa: E402
from benchmarks.common import load_questions, log, machine, summary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--searches", type=int, default=6, help="questions per session")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each kind, alternating")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/casesearch-bench-load"))
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/app_load.json")
    args = parser.parse_args()

    from casesearch.core.config import DEFAULT_CORPUS
    from casesearch.index.model.embedder import load_embedder
    from casesearch.index.update import UpdateOptions, update_index

    work = args.work_dir
    base = work / "base"
    if not (base / "index").is_dir():
        shutil.rmtree(base, ignore_errors=True)
        log("building the index of the bundled corpus")
        update_index([DEFAULT_CORPUS], base, load_embedder(None, base), options=UpdateOptions())
    questions, source = load_questions(args.sessions * args.searches * args.repeats * 2)
    log(f"{len(questions)} questions from {source}")
    started = machine()
    runs: dict[str, list[dict[str, object]]] = {"quiet": [], "upload": []}
    latencies: dict[str, list[float]] = {"quiet": [], "upload": []}
    per_run = args.sessions * args.searches
    runs_done = 0
    for repeat in range(args.repeats):
        for kind in ("quiet", "upload") if repeat % 2 == 0 else ("upload", "quiet"):
            data_dir = work / f"run-{kind}-{repeat}"
            shutil.rmtree(data_dir, ignore_errors=True)
            shutil.copytree(base, data_dir, symlinks=True)
            result = run_load(
                data_dir,
                sessions=args.sessions,
                searches_per_session=args.searches,
                upload=kind == "upload",
                questions=questions[runs_done * per_run : (runs_done + 1) * per_run] or questions,
            )
            runs_done += 1
            ms = [s * 1000 for s in result.latencies]
            latencies[kind] += ms
            run = {
                "errors": result.errors,
                "searches": result.searches,
                "during_upload": result.during_upload,
                "upload_seconds": round(result.upload_seconds, 2),
                "found_upload_after": result.found_upload_after,
                "harness_reruns": result.harness_reruns,
                "latency_ms": summary(ms),
            }
            runs[kind].append(run)
            log(f"{kind} #{repeat}: {json.dumps(run)}")
            shutil.rmtree(data_dir, ignore_errors=True)
    report = {
        "machine": started,
        "sessions": args.sessions,
        "searches_per_session": args.searches,
        "latency_ms": {kind: summary(values) for kind, values in latencies.items()},
        "errors": sum(len(list(r["errors"])) for rs in runs.values() for r in rs),
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("latency_ms", "errors")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
