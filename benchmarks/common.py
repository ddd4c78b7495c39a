"""Helpers shared by the benchmark scripts: workers, statistics, questions, environment.

Every measurement that reports peak memory runs in its own child process (``ru_maxrss`` is a
per-process high-water mark), and candidates that are compared are measured interleaved in
the same process, because the benchmark machine is shared and its load changes by the minute.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
#: Where benchmarks keep their corpora, caches and data directories (outside the repository).
DEFAULT_WORK = Path("/tmp/casesearch-bench")


def model_data(work: Path) -> Path:
    """The data directory holding only the converted model, shared by benchmark workers."""
    return work / "model-data"


QUESTIONS = REPO / "eval" / "questions" / "queries.jsonl"
#: The shared data folder: ``../shared/data`` next to the checkout, or ``$CASESEARCH_SHARED_DATA``
#: (for a checkout elsewhere, e.g. a git worktree).
SHARED_DATA = Path(os.environ.get("CASESEARCH_SHARED_DATA") or REPO.parent / "shared" / "data")
RESULT_PREFIX = "RESULT "

#: Used when the project's labelled questions are absent: practitioners' questions, both languages.
FALLBACK_QUESTIONS = [
    "hvordan inddrager man unge i byudvikling?",
    "how do we involve young people in planning their neighbourhood?",
    "borgerbudget erfaringer",
    "participatory budgeting results for poor districts",
    "hvordan får man ældre borgere med i digitale høringer",
    "online consultation with older citizens",
    "citizens' assembly on climate policy",
    "borgerting om klima",
    "hvordan rekrutterer man et repræsentativt borgerpanel",
    "random selection of participants for a deliberative poll",
    "samskabelse mellem kommune og frivillige foreninger",
    "co-creation between municipality and volunteers",
    "hvordan måler man effekten af borgerinddragelse",
    "evaluation of public participation outcomes",
    "inddragelse af indvandrere i lokale beslutninger",
    "engaging immigrant communities in local decisions",
    "workshop metoder til at designe velfærdsservice sammen med brugere",
    "design thinking with service users in health care",
    "hvad gik galt i borgerinddragelsen",
    "why did the participation process fail",
    "lokal demokrati i landdistrikter",
    "rural community decision making",
    "børn og unges indflydelse i skolen",
    "student voice in school governance",
    "byfornyelse med beboerdeltagelse",
    "residents shaping urban regeneration",
    "miljø og affald borgerprojekter",
    "community recycling initiatives",
    "deltagelse gennem kunst og kultur",
    "arts-based methods for civic engagement",
]


def load_questions(limit: int) -> tuple[list[str], str]:
    """Up to ``limit`` real questions, alternating languages when metadata allows."""
    if QUESTIONS.exists():
        items = [json.loads(line) for line in QUESTIONS.read_text("utf-8").splitlines() if line]
        texts = [str(i["text"]) for i in items if str(i.get("text", "")).strip()]
        return texts[:limit], str(QUESTIONS.relative_to(REPO))
    return FALLBACK_QUESTIONS[:limit], "built-in list (benchmarks/common.py)"


def recall_questions() -> tuple[list[str], dict[str, int]]:
    """Every distinct question of the labelled set and of the shared sets, and how many each.

    For recall against exhaustive search, where what matters is many real questions in both
    languages, not their labels.
    """
    files = [QUESTIONS, *sorted((SHARED_DATA / "eval").glob("*/queries.jsonl"))]
    texts: list[str] = []
    seen: set[str] = set()
    counts: dict[str, int] = {}
    for path in files:
        if not path.exists():
            continue
        name = "labelled" if path == QUESTIONS else path.parent.name
        for line in path.read_text("utf-8").splitlines():
            text = " ".join(str(json.loads(line).get("text", "")).split()) if line else ""
            if text and text not in seen:
                seen.add(text)
                texts.append(text)
                counts[name] = counts.get(name, 0) + 1
    return texts, counts


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation); NaN for no values."""
    return float(np.percentile(values, q)) if values else float("nan")


def summary(values: list[float]) -> dict[str, float]:
    """p50/p95/mean of a list of milliseconds, rounded for the report."""
    return {
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "mean": round(float(np.mean(values)) if values else float("nan"), 2),
        "n": len(values),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """This process's resident memory now, in MiB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def machine() -> dict[str, object]:
    """What the figures were taken on, and how busy it was at the start."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def run_worker(script: Path, phase: str, params: dict[str, object]) -> dict[str, object]:
    """Run ``script --worker phase`` in a child process and return the JSON it reports."""
    cmd = [sys.executable, str(script), "--worker", phase, "--params", json.dumps(params)]
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError(f"worker {phase} failed (exit {proc.returncode})")


def report_result(result: dict[str, object]) -> None:
    """How a worker hands its result to the parent: one prefixed JSON line on stdout."""
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def log(message: str) -> None:
    """Progress on stderr (stdout carries results)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
