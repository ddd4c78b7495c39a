"""Many app sessions searching at once while an upload is indexed: errors and latencies.

Each session is a Streamlit ``AppTest`` of the real app (``app.py``) in its own thread, so
every session runs the app's script as a visitor's browser session would, against the one
process-wide :class:`~casesearch.ui.service.AppService`. While they search, the upload path
the Corpus page uses (``AppService.add_files``) indexes a new file in another thread, so the
sessions meet the index being rebuilt, swapped and reloaded under them.

AppTest installs a mock Streamlit runtime as a process-wide singleton for the length of each
run and removes it afterwards, so two AppTest runs that overlap break each other ("Runtime
hasn't been created!", forms reported without their form). The script runs of the sessions
therefore take turns (:data:`_HARNESS`); the upload, which is where the index changes under
them, runs truly in parallel. A latency is the time of one session's script run (search,
results, best sentences), without the time it waited for its turn.

Used by ``tests/test_app_load.py`` (which requires 0 errors) and by
``benchmarks/bench_app_load.py`` (which records latencies).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"

UPLOAD_NAME = "kolonihave-nordby.txt"
UPLOAD_TEXT = """Kolonihave-samskabelse i Nordby

I Nordby har kommunen og kolonihaveforeningen Solsikken drevet en fælles samskabelse om de \
tomme haver. Ledige borgere, skoleklasser og beboere fra det almene boligområde passer hver \
sin have, og foreningen låner redskaber ud fra et fælles skur.

Erfaringer: Det vigtigste var en fast kontaktperson i kommunen og et årligt høstmarked.
"""
SUBMIT = "FormSubmitter:ask-Search"
#: A question only the uploaded file answers.
UPLOAD_QUESTION = "kolonihaveforeningen Solsikken fælles skur"

QUESTIONS = [
    "how to involve unemployed residents in waste work",
    "hvordan inddrager man unge i byudvikling?",
    "klimaborgerting erfaringer",
    "co-creation with citizens in Frederiksberg",
    "borgerbudget og frivillige",
    "participatory budgeting in a library",
]


@dataclass
class LoadResult:
    """What the sessions saw."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    searches: int = 0
    during_upload: int = 0
    upload_seconds: float = 0.0
    found_upload_after: bool = False
    harness_reruns: int = 0


#: One AppTest script run at a time (see the module text).
_HARNESS = threading.Lock()


def _titles(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def _ask(at: AppTest, question: str, result: LoadResult, lock: threading.Lock) -> float:
    """Type the question and press Search, as a visitor does.

    Should the page lack the question form's submit button (as overlapping AppTest runs left
    it), the page is rendered again first, counted in ``harness_reruns``.
    """
    for _ in range(3):
        if any(b.key == SUBMIT for b in at.button):
            break
        with lock:
            result.harness_reruns += 1
        with _HARNESS:
            at.run()
    at.text_input(key="query_input").input(question)
    with _HARNESS:
        t0 = time.perf_counter()
        at.button(key=SUBMIT).click().run()
        return time.perf_counter() - t0


def run_load(
    data_dir: Path,
    *,
    sessions: int = 10,
    searches_per_session: int = 6,
    upload: bool = True,
    questions: Sequence[str] = QUESTIONS,
) -> LoadResult:
    """Run ``sessions`` concurrent app sessions, each asking ``searches_per_session``
    questions; with ``upload``, a file is added and indexed while they search.

    ``data_dir`` must hold an index and the converted model (``models/``).
    """
    from casesearch.ui import common

    os.environ["CASESEARCH_DATA_DIR"] = str(data_dir)
    result = LoadResult()
    lock = threading.Lock()
    started = threading.Barrier(sessions + (1 if upload else 0))
    uploading = threading.Event()

    def session(number: int) -> None:
        try:
            at = AppTest.from_file(str(APP), default_timeout=300)
            with _HARNESS:
                at.run()
            if at.exception:
                raise RuntimeError(f"first run: {at.exception[0].message}")
        except Exception as exc:
            with lock:
                result.errors.append(f"session {number}: {type(exc).__name__}: {exc}")
            started.abort()
            return
        started.wait()
        for i in range(searches_per_session):
            # Distinct questions where the list allows, so answers do not come from the cache.
            question = questions[(number * searches_per_session + i) % len(questions)]
            during = uploading.is_set()
            try:
                elapsed = _ask(at, question, result, lock)
                problems = [e.message for e in at.exception] + [e.value for e in at.error]
                if problems:
                    raise RuntimeError("; ".join(str(p) for p in problems))
                if "cs-title" not in _titles(at):
                    raise RuntimeError("no results shown")
            except Exception as exc:
                with lock:
                    result.errors.append(f"session {number} {question!r}: {exc}")
                continue
            with lock:
                result.latencies.append(elapsed)
                result.searches += 1
                result.during_upload += during

    def add_file() -> None:
        service = common.service()
        started.wait()
        uploading.set()
        t0 = time.perf_counter()
        try:
            service.add_files([(UPLOAD_NAME, UPLOAD_TEXT.encode("utf-8"))])
        except Exception as exc:
            with lock:
                result.errors.append(f"upload: {type(exc).__name__}: {exc}")
        finally:
            result.upload_seconds = time.perf_counter() - t0
            uploading.clear()

    threads = [threading.Thread(target=session, args=(n,)) for n in range(sessions)]
    if upload:
        threads.append(threading.Thread(target=add_file))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if upload:
        at = AppTest.from_file(str(APP), default_timeout=300)
        with _HARNESS:
            at.run()
        _ask(at, UPLOAD_QUESTION, result, lock)
        # Result ids appear in the keys of the results' judgment controls.
        result.found_upload_after = any(
            r.key and r.key.startswith("judge|") and "kolonihave" in r.key for r in at.radio
        )
    return result
