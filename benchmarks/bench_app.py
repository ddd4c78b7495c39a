"""Web app timings in a real browser: first start, restart, and time per question.

Usage::

    .venv/bin/python benchmarks/bench_app.py [--questions 12] [--model-from DATA_DIR]
        [--work-dir /tmp/casesearch-bench-app] [--out test-output/bench-app.json]

``--phases upload`` (one of ``fresh,built,questions,upload``) times only the upload of a
20-page PDF report through the Corpus page: from pressing "Add to the search index" until the
app says the cases can be found, then a search for a sentence of the report.

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
import textwrap
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
from test_ingest_formats import pdf_with_text  # noqa: E402

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


def pdf_report(pages: int, lines_per_page: int = 52) -> tuple[bytes, str]:
    """A text PDF of ``pages`` A4 pages of real Participedia case text (Helvetica, WinAnsi)
    and its title. Read from the export in place; nothing of it is stored."""
    from benchmarks import synth

    records = synth.load_participedia()
    lines: list[str] = []
    title = ""
    for record in records:
        text = str(record.get("text") or record.get("body") or "")
        if str(record.get("lang", "en")) != "en" or len(text.split()) < 200:
            continue
        title = title or str(record.get("title", ""))
        lines.append(str(record.get("title", "")))
        lines += textwrap.wrap(text, 95)
        lines.append("")
        if len(lines) >= pages * lines_per_page:
            break
    lines = lines[: pages * lines_per_page]
    return pdf_with_text(lines, lines_per_page), title


def upload_pdf(data_dir: Path, work: Path, pages: int, log_path: Path) -> dict[str, object]:
    """Seconds from pressing "Add to the search index" with a ``pages``-page PDF until the
    app says its cases can be found; then whether a search finds it."""
    from test_app_e2e import results

    content, title = pdf_report(pages)
    path = work / "report-20-pages.pdf"
    path.write_bytes(content)
    server = AppServer(data_dir, log_path)
    try:
        server.start(timeout=120)
        with browser_page() as page:
            page.goto(server.url)
            wait_ready(page, timeout_s=900)
            page.goto(f"{server.url}/corpus")
            page.get_by_role("tab", name="Add case files").click()
            page.locator("input[type=file]").set_input_files([str(path)])
            started = time.perf_counter()
            page.get_by_role("button", name="Add to the search index").click()
            page.get_by_text("They can be found on the Search page now").wait_for(timeout=900_000)
            searchable = time.perf_counter() - started
            page.goto(server.url)
            wait_ready(page, timeout_s=300)
            ask(page, title, timeout_s=120)
            wait_complete(page, timeout_s=120)
            found = [r["title"] for r in results(page)][:3]
    finally:
        server.stop()
    return {
        "pages": pages,
        "pdf_kb": round(len(content) / 1024, 1),
        "searchable_after_s": round(searchable, 2),
        "question": title,
        "top_titles": found,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--model-from", type=Path, help="data dir with a converted model")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/casesearch-bench-app"))
    parser.add_argument("--out", type=Path, default=REPO / "test-output" / "bench-app.json")
    parser.add_argument("--phases", default="fresh,built,questions,upload")
    parser.add_argument("--pdf-pages", type=int, default=20)
    args = parser.parse_args(argv)
    phases = set(args.phases.split(","))
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

    if "fresh" in phases:
        log("fresh data directory: first start builds the index")
        result["fresh"] = first_answer(data_dir, questions[0], logs / "fresh.log")
        log(f"fresh: {result['fresh']}")
    if "built" in phases:
        log("built data directory: restart")
        result["built"] = first_answer(data_dir, questions[1], logs / "built.log")
        log(f"built: {result['built']}")
    if "questions" in phases:
        log("time per question")
        result["per_question"] = per_question(data_dir, questions[2:], logs / "queries.log")
    if "upload" in phases:
        log(f"uploading a {args.pdf_pages}-page PDF")
        result["upload_pdf"] = upload_pdf(data_dir, args.work_dir, args.pdf_pages, logs / "up.log")
        log(f"upload: {result['upload_pdf']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
