"""The 807-document Participedia export ingests through column configuration alone."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from casesearch.ingest.options import IngestOptions
from casesearch.ingest.pipeline import ingest_paths
from casesearch.ingest.store import load_store

# ../shared/data next to the checkout; a worktree one folder deeper finds it one level up.
NODES = next(
    (
        base / "shared" / "data" / "participedia" / "participedia-2016-nodes.jsonl"
        for base in Path(__file__).resolve().parents[2:4]
        if (base / "shared" / "data").is_dir()
    ),
    Path("../shared/data/participedia/participedia-2016-nodes.jsonl"),
)

pytestmark = pytest.mark.shared_data


@pytest.mark.skipif(not NODES.exists(), reason="../shared/data is not present")
def test_participedia_ingests_by_configuration(tmp_path: Path) -> None:
    start = time.perf_counter()
    report = ingest_paths([NODES], tmp_path / "data", options=IngestOptions())
    seconds = time.perf_counter() - start
    summary = report.to_dict()
    print(
        f"\nParticipedia ingest: {summary['cases']} cases, {summary['chunks']} chunks "
        f"in {seconds:.1f} s"
    )
    assert summary["files"] == 1 and summary["skipped"] == []
    assert summary["cases"] >= 790  # 807 rows; a few may be near-duplicates or untitled
    store = load_store(tmp_path / "data")
    assert store is not None
    langs = Counter(c.lang for c in store.cases)
    assert langs["en"] > 700 and len(langs) > 2
    case = next(c for c in store.cases if c.title.startswith("Royal Institution of Australia"))
    assert case.url and case.url.startswith("https://participedia.net/")
    assert case.collection == "participedia-2016-nodes"
    assert all(c.chunks for c in store.cases)
    # A second run finds nothing changed and is much faster.
    again = time.perf_counter()
    assert ingest_paths([NODES], tmp_path / "data").to_dict() == summary
    print(f"re-run with nothing changed: {time.perf_counter() - again:.1f} s")
