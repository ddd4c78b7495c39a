"""What the per-file budgets cost, and what deeply nested markup costs before and after.

Usage::

    git archive <commit before> | tar -x -C /tmp/casesearch-before
    flock /tmp/casesearch-cpu.lock .venv/bin/python benchmarks/bench_ingest.py \\
        --before /tmp/casesearch-before [--runs 5] [--out benchmarks/results/ingest.json]

Phases (each measurement in its own child process, candidates alternating run by run):

* ``mechanisms``: how long it takes to get a process ready to read files, for the ways one
  could isolate a file: the reusable worker (``python -m casesearch.ingest.isolation``, a
  fresh interpreter), a ``multiprocessing`` process per file with ``spawn``, and one with
  ``forkserver`` (server start once, with the readers and the main module preloaded, then a
  fork per file); and the round trip of one small file through a ready worker against
  reading it in the calling process.
* ``ingest``: ``ingest_paths`` on the bundled corpus and on the Participedia export into a
  fresh data directory, then once more with nothing changed, for the code before
  (``--before``), the code now with its default budgets, and the code now with both budgets
  off (files read in the calling process).
* ``nested``: a page of N nested ``<div>`` as .html and as .txt, before and after, at
  growing N (the code before only up to a depth where it still ends in minutes).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO, log, machine, report_result, run_worker

SCRIPT = Path(__file__).resolve()
PARTICIPEDIA = next(
    (
        base / "shared" / "data" / "participedia" / "participedia-2016-nodes.jsonl"
        for base in (REPO.parent, REPO.parent.parent)
        if (base / "shared" / "data").is_dir()
    ),
    REPO.parent / "shared" / "data" / "participedia" / "participedia-2016-nodes.jsonl",
)
DATASETS = {"corpus": REPO / "corpus", "participedia": PARTICIPEDIA}
NESTED_TEXT = "<p>Borgermøde om havnen i Ærøskøbing med fyrre deltagere.</p>"


def _use_checkout(root: Path) -> None:
    """Import ``casesearch`` from another checkout (the code before) in this process."""
    mapping = {
        "casesearch": root / "casesearch",
        "casesearch.ingest": root / "ingest",
        "casesearch.index": root / "index",
        "casesearch.eval": root / "eval",
        "casesearch.ui": root / "ui",
    }

    class Finder:
        @classmethod
        def find_spec(cls, name: str, path: object = None, target: object = None) -> object:
            if name not in mapping:
                return None
            return importlib.util.spec_from_file_location(
                name, mapping[name] / "__init__.py", submodule_search_locations=[str(mapping[name])]
            )

    sys.meta_path.insert(0, Finder)  # type: ignore[arg-type]


def _worker_peak_mb() -> float:
    """Peak RSS of this process's finished children (the reading worker), in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _stop_workers() -> None:
    from casesearch.ingest import isolation

    isolation._stop_idle_workers()


# ------------------------------------------------------------------------- children
def child_ingest(params: dict) -> None:
    """One variant on one input: a fresh ingest, then a re-run with nothing changed."""
    if params["code"]:
        _use_checkout(Path(params["code"]))
    from casesearch.ingest.options import IngestOptions
    from casesearch.ingest.pipeline import ingest_paths

    options = IngestOptions()
    if params["variant"] == "in-process":
        options = IngestOptions(file_seconds=None, file_memory_mb=None)
    data = Path(params["data"])
    shutil.rmtree(data, ignore_errors=True)
    paths = [Path(p) for p in params["paths"]]
    started = time.perf_counter()
    report = ingest_paths(paths, data, options=options)
    fresh = time.perf_counter() - started
    started = time.perf_counter()
    ingest_paths(paths, data, options=options)
    again = time.perf_counter() - started
    summary = report.to_dict()
    if params["variant"] != "before":
        _stop_workers()
    shutil.rmtree(data, ignore_errors=True)
    report_result(
        {
            "seconds": round(fresh, 3),
            "rerun_seconds": round(again, 3),
            "cases": summary["cases"],
            "chunks": summary["chunks"],
            "skipped": len(summary["skipped"]),  # type: ignore[arg-type]
            "worker_peak_rss_mb": round(_worker_peak_mb(), 1),
        }
    )


def _spawned_read(path: str) -> int:
    """Read one file in a spawned process (what a process per file would do)."""
    from casesearch.ingest.options import IngestOptions
    from casesearch.ingest.parsing import parse_file

    file = Path(path)
    options = IngestOptions(file_seconds=None, file_memory_mb=None)
    parsed = parse_file(
        file, file.read_bytes(), options, source=path, collection="c", stem=file.stem
    )
    return len(parsed.cases)


def child_mechanisms(params: dict) -> None:
    """Start-up of each way to isolate a file, and the round trip of one file."""
    from casesearch.ingest import isolation
    from casesearch.ingest.options import IngestOptions

    sample = REPO / "corpus" / "frederiksberg-co-creation-pilots-and-new-communities.txt"
    request = isolation.FileRequest(sample, sample.read_bytes(), str(sample), "corpus", "f")
    rounds = int(params["rounds"])
    out: dict[str, list[float]] = {
        "worker_ready_s": [],
        "spawn_per_file_s": [],
        "forkserver_first_s": [],
        "forkserver_per_file_s": [],
        "worker_round_trip_ms": [],
        "in_process_ms": [],
    }
    for _ in range(rounds):
        started = time.perf_counter()
        worker = isolation._Worker(2048)
        worker.wait_ready()
        out["worker_ready_s"].append(time.perf_counter() - started)
        reader = isolation.FileReader(IngestOptions())
        reader._worker = worker
        reader.read(request)  # first file
        for _ in range(20):
            started = time.perf_counter()
            reader.read(request)
            out["worker_round_trip_ms"].append(1000 * (time.perf_counter() - started))
        worker.kill()
        here = isolation.FileReader(IngestOptions(file_seconds=None, file_memory_mb=None))
        for _ in range(20):
            started = time.perf_counter()
            here.read(request)
            out["in_process_ms"].append(1000 * (time.perf_counter() - started))
        spawn = multiprocessing.get_context("spawn")
        started = time.perf_counter()
        with spawn.Pool(1, maxtasksperchild=1) as pool:
            pool.apply(_spawned_read, (str(sample),))
        out["spawn_per_file_s"].append(time.perf_counter() - started)
    forkserver = multiprocessing.get_context("forkserver")
    # Preloading "__main__" spares each child re-importing this script (numpy and all); the
    # app's main module would be Streamlit's.
    forkserver.set_forkserver_preload(["__main__", "casesearch.ingest.parsing"])
    for n in range(rounds + 1):
        started = time.perf_counter()
        process = forkserver.Process(target=_spawned_read, args=(str(sample),))
        process.start()
        process.join()
        key = "forkserver_first_s" if n == 0 else "forkserver_per_file_s"
        out[key].append(time.perf_counter() - started)
    report_result({k: [round(v, 4) for v in values] for k, values in out.items()})


def child_nested(params: dict) -> None:
    """Ingest one page of ``depth`` nested <div> (as .html or .txt) and time it."""
    if params["code"]:
        _use_checkout(Path(params["code"]))
    from casesearch.ingest.pipeline import ingest_paths

    depth = int(params["depth"])
    work = Path(tempfile.mkdtemp(prefix="cs-nested-"))
    try:
        folder = work / "in"
        folder.mkdir()
        page = "<div>" * depth + NESTED_TEXT + "</div>" * depth
        (folder / f"deep{params['suffix']}").write_text(page, encoding="utf-8")
        started = time.perf_counter()
        report = ingest_paths([folder], work / "data").to_dict()
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report_result({"seconds": round(seconds, 2), "cases": report["cases"]})


CHILDREN = {"ingest": child_ingest, "mechanisms": child_mechanisms, "nested": child_nested}


# ------------------------------------------------------------------------- phases
def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def phase_ingest(before: Path, runs: int, work: Path) -> dict:
    variants = ["before", "budgets", "in-process"]
    out: dict = {}
    for dataset, path in DATASETS.items():
        if not path.exists():
            log(f"{dataset}: {path} not found, skipped")
            continue
        results: dict[str, list[dict]] = {v: [] for v in variants}
        for run in range(runs):
            order = variants[run % 3 :] + variants[: run % 3]
            for variant in order:
                params = {
                    "code": str(before) if variant == "before" else None,
                    "variant": variant,
                    "paths": [str(path)],
                    "data": str(work / f"data-{dataset}-{variant}"),
                }
                result = run_worker(SCRIPT, "ingest", params)
                log(f"{dataset} run {run + 1} {variant}: {result['seconds']} s")
                results[variant].append(result)
        base = _median([r["seconds"] for r in results["before"]])
        out[dataset] = {
            variant: {
                "seconds_median": _median([r["seconds"] for r in rs]),
                "rerun_seconds_median": _median([r["rerun_seconds"] for r in rs]),
                "ratio_to_before": round(_median([r["seconds"] for r in rs]) / base, 3),
                "cases": rs[0]["cases"],
                "chunks": rs[0]["chunks"],
                "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
                "worker_peak_rss_mb": max(r["worker_peak_rss_mb"] for r in rs),
                "runs": [r["seconds"] for r in rs],
            }
            for variant, rs in results.items()
        }
    return out


def phase_nested(before: Path, depths_before: list[int], depths_after: list[int]) -> dict:
    out: dict = {}
    for suffix in (".html", ".txt"):
        for depth in sorted(set(depths_before) | set(depths_after)):
            row: dict = {}
            for label, code in (("before", str(before)), ("after", None)):
                if depth not in (depths_before if label == "before" else depths_after):
                    continue
                params = {"code": code, "depth": depth, "suffix": suffix}
                result = run_worker(SCRIPT, "nested", params)
                log(f"nested {suffix} depth {depth} {label}: {result['seconds']} s")
                row[label] = result
            out[f"{suffix} {depth}"] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--phases", default="mechanisms,ingest,nested")
    parser.add_argument("--nested-before", default="2500,5000,10000")
    parser.add_argument("--nested-after", default="2500,5000,10000,100000")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/casesearch-bench-ingest"))
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/ingest.json")
    parser.add_argument("--worker", choices=sorted(CHILDREN))
    parser.add_argument("--params", default="{}")
    args = parser.parse_args()
    if args.worker:
        CHILDREN[args.worker](json.loads(args.params))
        return
    phases = args.phases.split(",")
    if ("ingest" in phases or "nested" in phases) and not args.before:
        parser.error("--before is needed for the ingest and nested phases")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    result: dict = {"machine": machine(), "command": " ".join(sys.argv)}
    if "mechanisms" in phases:
        result["mechanisms"] = {
            k: {"median": _median(v), "values": v}
            for k, v in run_worker(SCRIPT, "mechanisms", {"rounds": args.runs}).items()
            if isinstance(v, list)
        }
        log(f"mechanisms: { {k: v['median'] for k, v in result['mechanisms'].items()} }")
    if "ingest" in phases:
        result["ingest"] = phase_ingest(args.before.resolve(), args.runs, args.work_dir)
    if "nested" in phases:
        result["nested"] = phase_nested(
            args.before.resolve(),
            [int(x) for x in args.nested_before.split(",") if x],
            [int(x) for x in args.nested_after.split(",") if x],
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
