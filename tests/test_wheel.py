"""The built wheel works anywhere: installed in a fresh virtual environment, run from an empty
folder outside the repository, it indexes the bundled corpus, searches, evaluates the bundled
questions and serves the app.

Only the wheel is installed into the new environment. Its dependencies (torch, FAISS, ...) are
made visible from the test environment by a plain path entry, which exposes installed
packages but none of this checkout's code: nothing of the repository is importable there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest
from test_app_e2e import AppServer, browser_page, chromium_path, wait_ready

REPO = Path(__file__).resolve().parents[1]
URBAN_PLANEN = "partnerskabet-urban-planen"
#: What a source checkout holds besides the source.
NOT_SOURCE = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".typecheck",
)

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(venv bin folder, empty working folder, environment) with only the wheel installed."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    source = root / "source"  # a copy, so that building leaves nothing in the checkout
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    pip = [sys.executable, "-m", "pip"]
    _run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(source)],
        cwd=root,
        env=dict(os.environ),
    )
    wheel = next(dist.glob("casesearch-*.whl"))
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=root, env=dict(os.environ))
    python = venv / "bin" / "python"
    _run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        cwd=root,
        env=dict(os.environ),
    )
    # Dependencies from the test environment: a plain path line (its .pth files, among them
    # this checkout's editable install, are not processed).
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=root,
        env=dict(os.environ),
    ).strip()
    Path(site, "casesearch-test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    work = root / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PWD")}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["CASESEARCH_DATA_DIR"] = str(root / "data")
    return venv / "bin", work, env


def test_wheel_ships_one_namespace_and_its_data(installed) -> None:
    bin_dir, work, env = installed
    python = str(bin_dir / "python")
    for generic in ("index", "ingest", "eval", "ui", "corpus"):
        done = subprocess.run(
            [python, "-c", f"import {generic}"], cwd=work, env=env, capture_output=True, check=False
        )
        assert done.returncode != 0, f"`import {generic}` works outside the checkout"
    where = _run(
        [
            python,
            "-c",
            "import casesearch, casesearch.core.config as c; "
            "print(casesearch.__file__); print(c.DEFAULT_CORPUS); print(c.DEFAULT_QUESTIONS)",
        ],
        cwd=work,
        env=env,
    ).split()
    assert all(str(REPO) not in path for path in where), where
    corpus, questions = Path(where[1]), Path(where[2])
    assert len(list(corpus.glob("*.txt"))) == 5
    assert (questions / "queries.jsonl").is_file() and (questions / "qrels" / "test.tsv").is_file()


def test_wheel_indexes_searches_evaluates_and_serves(installed, tmp_path: Path) -> None:
    bin_dir, work, env = installed
    cli = str(bin_dir / "casesearch")
    out = _run([cli, "index", "--no-sentences"], cwd=work, env=env)
    assert "indexed 90 cases" in out

    found = json.loads(
        _run(
            [cli, "search", "how to involve unemployed residents in waste work", "--json"],
            cwd=work,
            env=env,
        )
    )
    assert found["results"][0]["case_id"] == URBAN_PLANEN
    assert "corpus" in found["results"][0]["source"]

    report = json.loads(
        _run([cli, "eval", "--split", "test", "--mode", "hybrid", "--json"], cwd=work, env=env)
    )
    assert report["metrics"]["hybrid"]["all"]["questions"] == 75
    assert report["metrics"]["hybrid"]["all"]["nDCG@10"] > 0.6

    server = AppServer(
        Path(env["CASESEARCH_DATA_DIR"]),
        tmp_path / "wheel-app.log",
        command=lambda port: [cli, "app", "--port", str(port)],
        cwd=work,
        env=env,
    )
    server.start(timeout=120)
    try:
        with urllib.request.urlopen(server.url, timeout=10) as page:
            assert page.status == 200
        if chromium_path() is None:
            pytest.skip("chromium is not installed (make browser)")
        with browser_page() as page:
            page.goto(server.url)
            wait_ready(page, timeout_s=120)
            assert page.get_by_text("Find cases").count() >= 1
    finally:
        server.stop()
