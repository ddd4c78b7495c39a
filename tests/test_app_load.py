"""Ten app sessions search while an upload is indexed: none of them sees an error.

The sessions are real runs of the app's script (Streamlit AppTest, one thread each) sharing
the process-wide service, as browser sessions of one server do; their script runs take turns
(AppTest's mock runtime is process-wide, see ``benchmarks/app_load.py``), while the upload,
through the same service call as the Corpus page's upload form, runs in parallel with them.
Latencies are measured by ``benchmarks/bench_app_load.py``, not asserted here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.app_load import run_load
from benchmarks.common import load_questions

pytestmark = pytest.mark.slow


def test_ten_sessions_search_while_an_upload_is_indexed(
    seed_data_dir: Path, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(seed_data_dir, data_dir, symlinks=True)
    if not (data_dir / "models").exists():  # earlier app tests may have put the model there
        (data_dir / "models").symlink_to(model_dir / "models")
    monkeypatch.setenv("CASESEARCH_DATA_DIR", str(data_dir))
    monkeypatch.delenv("CASESEARCH_READ_ONLY", raising=False)
    questions, _ = load_questions(40)
    result = run_load(data_dir, sessions=10, searches_per_session=4, questions=questions)
    assert not result.errors, result.errors[:3]
    assert result.searches == 40
    assert result.during_upload >= 1, "no search ran while the upload was being indexed"
    assert result.found_upload_after, "the uploaded case must be searchable afterwards"
