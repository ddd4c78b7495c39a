"""Search latency of this checkout against another one (an earlier commit), alternating.

Usage::

    git worktree add /tmp/cs-old <commit>
    (cd /tmp/cs-old && PYTHONPATH=. ../main/.venv/bin/python benchmarks/bench_search.py \\
        --sizes 100000 --embed-budget 0 --work-dir /tmp/cs-bench-old \\
        --skip base,throughput,search,add_one,hnsw,highlight_threads)
    .venv/bin/python benchmarks/bench_ab.py --other /tmp/cs-old --other-work /tmp/cs-bench-old \\
        --work /tmp/cs-bench --size 100000 --rounds 3

Each side's index must have been built by that side's own code (its ``bench_search.py``
build phase). Every round runs one process per side, alternately, each loading its index,
warming up with 3 questions and timing ``Searcher.search(q, 10, mode="hybrid",
highlight=False)`` for the same questions; the report pools the timings of all rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Runs inside each checkout (only uses what every version of the project has; the searcher
#: moved into the ``casesearch`` namespace in 0.2).
WORKER = """
import importlib.abc, importlib.util, json, os, sys, time
from pathlib import Path

repo = Path(os.getcwd())


class StageFolders(importlib.abc.MetaPathFinder):
    # casesearch.index, .ingest, .eval, .ui from this checkout's stage folders: the editable
    # install maps them to the installing checkout, which would run the same code twice.
    def find_spec(self, name, path=None, target=None):
        head, _, stage = name.partition(".")
        folder = repo / stage
        if head != "casesearch" or "." in stage or not (folder / "__init__.py").is_file():
            return None
        return importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )


sys.meta_path.insert(0, StageFolders())
from benchmarks.bench_search import _corpus_dir, _embedder
from benchmarks.common import load_questions
try:  # the layout before 0.2 first: in a newer checkout it is simply absent
    from index.searcher import Searcher
except ImportError:
    from casesearch.index.search.searcher import Searcher
code = sys.modules[Searcher.__module__].__file__
assert code.startswith(str(repo)), f"{code} is not from {repo}"
work, size, n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
backend = sys.argv[4] or None
searcher = Searcher.load(_corpus_dir(work, size), _embedder(work, backend))
questions, _ = load_questions(n)
for q in questions[:3]:
    searcher.search(q, 10, highlight=False)
times = []
for q in questions:
    t0 = time.perf_counter()
    searcher.search(q, 10, mode="hybrid", highlight=False)
    times.append((time.perf_counter() - t0) * 1000)
print("RESULT " + json.dumps({"times": times, "code": code}))
"""


def run_side(
    repo: Path, work: Path, size: int, questions: int, backend: str
) -> tuple[list[float], str]:
    """One process on ``repo``'s code: its search times, and the file its searcher came from."""
    env = dict(os.environ, PYTHONPATH=str(repo), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-c", WORKER, str(work), str(size), str(questions), backend]
    out = subprocess.run(cmd, cwd=repo, env=env, stdout=subprocess.PIPE, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    return result["times"], result["code"]


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(0.95 * len(values)) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--other", required=True, help="the other checkout")
    parser.add_argument("--other-work", required=True, help="its benchmark work folder")
    parser.add_argument("--work", required=True, help="this checkout's benchmark work folder")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--backend",
        default="",
        help="embedding backend on both sides (default: each side's own default); give one "
        "when the default changed between the two, so only the code differs",
    )
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "ab.json"))
    args = parser.parse_args(argv)
    sides = {
        "other": (Path(args.other).resolve(), Path(args.other_work)),
        "this": (REPO, Path(args.work)),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    per_round: dict[str, list[float]] = {name: [] for name in sides}
    code: dict[str, str] = {}
    for _ in range(args.rounds):
        for name, (repo, work) in sides.items():
            t, code[name] = run_side(repo, work, args.size, args.questions, args.backend)
            times[name] += t
            per_round[name].append(round(statistics.median(t), 2))
    result = {
        "size": args.size,
        "questions": args.questions,
        "rounds": args.rounds,
        "backend": args.backend or "default",
        "other": str(sides["other"][0]),
        "searcher_code": code,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "sides": {
            name: {
                "p50_ms": round(statistics.median(t), 2),
                "p95_ms": round(p95(t), 2),
                "p50_per_round": per_round[name],
            }
            for name, t in times.items()
        },
    }
    result["ratio_p50_this_over_other"] = round(
        result["sides"]["this"]["p50_ms"] / result["sides"]["other"]["p50_ms"], 3
    )
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
