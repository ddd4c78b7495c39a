"""Whatever bytes a file holds, ingest neither crashes nor loses track of the file."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casesearch.ingest.pipeline import ingest_paths
from casesearch.ingest.store import load_store

SUFFIXES = [".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".jsonl", ".csv", ".json", ".xyz"]

contents = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=600).map(lambda s: s.encode("utf-8")),
    st.text(alphabet="æøåÆØÅ abc.\n\t<>/p", max_size=300).map(lambda s: s.encode("cp1252")),
    st.sampled_from([b"%PDF-1.4\n", b"PK\x03\x04", b"\xef\xbb\xbf", b'{"title": "x"}\n']).flatmap(
        lambda head: st.binary(max_size=200).map(lambda tail: head + tail)
    ),
)
files = st.lists(st.tuples(st.sampled_from(SUFFIXES), contents), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=files)
def test_arbitrary_bytes_never_crash_and_every_file_is_accounted_for(
    files: list[tuple[str, bytes]],
) -> None:
    work = Path(tempfile.mkdtemp())
    try:
        folder = work / "in"
        folder.mkdir()
        for n, (suffix, data) in enumerate(files):
            (folder / f"f{n}{suffix}").write_bytes(data)
        report = ingest_paths([folder], work / "data").to_dict()
        store = load_store(work / "data")
        assert store is not None
        assert report["files"] == len(files)
        skipped = {s["path"] for s in report["skipped"]}
        for n, (suffix, _) in enumerate(files):
            key = str(folder / f"f{n}{suffix}")
            record = store.sources[key]
            if record.status == "ok":
                assert record.case_ids and key not in skipped
            else:
                assert record.reason and key in skipped
        for case in store.cases:
            assert "<script" not in case.text.lower()
            for chunk in case.chunks:
                assert 0 <= chunk.start < chunk.end <= len(case.text)
    finally:
        shutil.rmtree(work)
