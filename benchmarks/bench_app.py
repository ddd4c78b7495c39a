"""Web app timings in a real browser: first start, restart, and time per question.

Usage::

    .venv/bin/python benchmarks/bench_app.py [--questions 12] [--model-from DATA_DIR]
        [--work-dir /tmp/casesearch-bench-app] [--out test-output/bench-app.json]

It starts ``streamlit run app.py`` on an empty data directory and opens it in Debian's headless
chromium (as the end-to-end test does), so the first figure includes what a first visitor
waits for: converting the model (unless ``--model-from`` supplies a converted one), reading
the corpus and building the index. Then it asks questions one by one and times until the
results show and until the page is finished (best sentences marked). Finally it restarts the
server on the now built data directory and times the first answer again.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from test_app_e2e import (  # noqa: E402
    AppServer,
    ask,
    browser_page,
    chromium_path,
    wait_complete,
    wait_ready,
)

from benchmarks.common import load_questions, log, machine, summary  # noqa: E402


def first_answer(data_dir: Path, question: str, log_path: Path) -> dict[str, float]:
    """Seconds from launching the server to the server answering, the page being usable,
    and the first question's results showing."""
    server = AppServer(data_dir, log_path)
    started = time.perf_counter()
    try:
        up = server.start(timeout=120)
        with browser_page() as page:
            page.goto(server.url)
            wait_ready(page, timeout_s=900)
            ready = time.perf_counter() - started
            ask(page, question, timeout_s=120)
            answer = time.perf_counter() - started
    finally:
        server.stop()
    return {
        "server_up_s": round(up, 2),
        "page_ready_s": round(ready, 2),
        "first_answer_s": round(answer, 2),
    }


def per_question(data_dir: Path, questions: list[str], log_path: Path) -> dict[str, object]:
    """Milliseconds per question in a warm app: results shown, page complete."""
    server = AppServer(data_dir, log_path)
    shown, complete = [], []
    try:
        server.start(timeout=120)
        with browser_page() as page:
            page.goto(server.url)
            wait_ready(page, timeout_s=300)
            ask(page, "warm-up: borgerinddragelse")
            wait_complete(page)
            for question in questions:
                started = time.perf_counter()
                ask(page, question, timeout_s=120)
                shown.append((time.perf_counter() - started) * 1000)
                wait_complete(page, timeout_s=120)
                complete.append((time.perf_counter() - started) * 1000)
                log(f"{shown[-1]:7.0f} ms shown, {complete[-1]:7.0f} ms complete: {question}")
            started = time.perf_counter()
            ask(page, questions[0], timeout_s=120)  # repeated question: answered from memory
            wait_complete(page)
            repeat = (time.perf_counter() - started) * 1000
    finally:
        server.stop()
    return {
        "results_shown_ms": summary(shown),
        "page_complete_ms": summary(complete),
        "repeated_question_ms": round(repeat, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--model-from", type=Path, help="data dir with a converted model")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/casesearch-bench-app"))
    parser.add_argument("--out", type=Path, default=REPO / "test-output" / "bench-app.json")
    args = parser.parse_args(argv)
    if chromium_path() is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    shutil.rmtree(args.work_dir, ignore_errors=True)
    data_dir = args.work_dir / "data"
    data_dir.mkdir(parents=True)
    if args.model_from and (args.model_from / "models").is_dir():
        shutil.copytree(args.model_from / "models", data_dir / "models")
    questions, source = load_questions(args.questions + 2)
    logs = args.work_dir / "logs"
    result: dict[str, object] = {"machine": machine(), "questions_from": source}
    result["model_copied"] = bool(args.model_from)

    log("fresh data directory: first start builds the index")
    result["fresh"] = first_answer(data_dir, questions[0], logs / "fresh.log")
    log(f"fresh: {result['fresh']}")
    log("built data directory: restart")
    result["built"] = first_answer(data_dir, questions[1], logs / "built.log")
    log(f"built: {result['built']}")
    log("time per question")
    result["per_question"] = per_question(data_dir, questions[2:], logs / "queries.log")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
