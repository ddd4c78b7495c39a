"""Indexing on Ray gives the local build's index; workers and drivers may die on the way.

Everything here runs on a real Ray on this machine: a Ray started in the test process
(``ray.init(num_cpus=2)``) for the engine-level tests, and a ``ray start --head`` cluster that
the command-line test joins with ``--address`` and stops again. The model, FAISS and the
files are real; workers are Ray Data actors that load the model themselves.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from casesearch.index.search.searcher import Searcher
from casesearch.index.storage.build import build_index, index_dir
from casesearch.index.storage.embedding_cache import KEYS, cache_dir
from casesearch.index.storage.engines import EngineOptions, EngineRunError, open_engine
from casesearch.index.storage.manifest import Manifest
from casesearch.index.storage.ray_engine import PassageEmbedder, WorkerSpec
from casesearch.index.storage.segments import LiveView, live_excerpts, load_live
from casesearch.index.storage.sentence_vectors import SentenceVectors, unique_sentences
from casesearch.index.update import UpdateOptions, update_index
from casesearch.ingest.store import load_store

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
QUESTIONS = [
    "how to involve unemployed residents in waste work",
    "hvordan inddrager man unge i byudvikling?",
    "klimaborgerting",
    "co-creation with citizens in Frederiksberg",
]
#: Ray Data names each actor process after the class it runs.
ACTOR_TITLE = b"ray::MapWorker(MapBatches(PassageEmbedder))"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A Ray on this machine with two CPUs, for this module's engine-level tests."""
    import ray

    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.ERROR,
    )
    yield
    ray.shutdown()


def _live(data_dir: Path) -> LiveView:
    folder = index_dir(data_dir)
    return load_live(folder, Manifest.load(folder).segments)


def _assert_same_index(got: LiveView, want: LiveView) -> None:
    assert [c.id for c in got.cases] == [c.id for c in want.cases]
    assert got.chunks.ids.tolist() == want.chunks.ids.tolist()
    assert got.hashes == want.hashes
    cosines = (got.vectors * want.vectors).sum(axis=1)
    assert float(cosines.min()) >= 0.9999


#: Scores closer than this are a tie. Vectors equal to cosine 0.9999 (bf16 products in other
#: batches) may differ by up to ~0.014 in length, which moves a score by a few thousandths.
TIE = 5e-3


def _rankings(searcher: Searcher) -> list[list[tuple[str, float]]]:
    return [
        [(r.case_id, r.score) for r in searcher.search(q, 10, mode=mode, highlight=False).results]
        for q in QUESTIONS
        for mode in ("hybrid", "dense")
    ]


def _assert_same_rankings(got: Searcher, want: Searcher) -> None:
    """Same cases at every rank, except that cases whose scores tie may swap places."""
    for mine, theirs in zip(_rankings(got), _rankings(want), strict=True):
        assert len(mine) == len(theirs)
        scores = [score for _, score in theirs]
        for rank, ((case, score), (expected, expected_score)) in enumerate(
            zip(mine, theirs, strict=True)
        ):
            assert abs(score - expected_score) <= TIE, (rank, case, expected)
            neighbours = scores[max(0, rank - 1) : rank] + scores[rank + 1 : rank + 2]
            if all(abs(expected_score - s) > TIE for s in neighbours):
                assert case == expected, (rank, case, expected)


def _actor_pids(busy: bool = False) -> list[int]:
    """Processes of this machine running an embedding actor (``busy``: embedding a batch
    right now, so past loading the model)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(ACTOR_TITLE) and (not busy or b".submit" in cmdline):
                pids.append(int(entry))
    return pids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _seed_vectors(seed_data_dir: Path) -> dict[str, np.ndarray]:
    live = _live(seed_data_dir)
    return dict(zip(live.hashes, live.vectors, strict=True))


def test_ray_build_equals_local_build(
    seed_data_dir: Path, embedder, tmp_path: Path, local_ray: None
) -> None:
    data_dir = tmp_path / "ray-data"
    engine = EngineOptions("ray", workers=2, batch_chars=16_384)
    report = update_index([CORPUS], data_dir, embedder, options=UpdateOptions(engine=engine))

    built = report.build
    assert built.embedded == built.chunks == len(_live(seed_data_dir).hashes)
    assert built.engine.startswith("ray (2 workers")
    assert len(built.workers) == 2 and sum(built.workers.values()) == built.embedded
    _assert_same_index(_live(data_dir), _live(seed_data_dir))
    _assert_same_rankings(Searcher.load(data_dir, embedder), Searcher.load(seed_data_dir, embedder))

    # Sentence vectors were prepared on the workers too: the ones stored are the local ones.
    assert report.sentences is not None and report.sentences.embedded > 100
    manifest = Manifest.load(index_dir(data_dir))
    sentences = unique_sentences(live_excerpts(index_dir(data_dir), manifest.segments))
    assert report.sentences.embedded == len(sentences)
    store = SentenceVectors.open(data_dir, manifest.model_id, manifest.dim)
    sample = sentences[:: max(1, len(sentences) // 40)]
    found, stored = store.lookup(store.keys(sample))
    assert found.all()
    local = embedder.encode_documents(sample)
    assert float((stored * local).sum(axis=1).min()) >= 0.9999


def test_a_killed_worker_is_restarted_and_its_batch_retried(
    seed_data_dir: Path, embedder, tmp_path: Path, local_ray: None
) -> None:
    store = load_store(seed_data_dir)
    assert store is not None
    cases = store.cases
    data_dir = tmp_path / "data"
    # The first half was indexed locally; Ray embeds only the rest (the segments are the
    # same chunk-vector cache for both engines).
    half = len(cases) // 2
    build_index(cases[:half], data_dir, embedder, precomputed=_seed_vectors(seed_data_dir))
    new_chunks = sum(len(c.chunks) for c in cases[half:])

    killed: list[int] = []

    def kill_one_worker(phase: str, done: int, total: int) -> None:
        if phase == "embed" and done > 0 and not killed:
            pids = _actor_pids(busy=True)
            if pids:  # else at the next finished batch
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

    engine = open_engine(
        EngineOptions("ray", workers=2, batch_chars=2_048, max_retries=3), embedder, data_dir
    )
    try:
        report = build_index(cases, data_dir, embedder, engine=engine, on_progress=kill_one_worker)
    finally:
        engine.close()
    assert killed and not _alive(killed[0])
    assert report.embedded == new_chunks and report.mode == "append"
    _assert_same_index(_live(data_dir), _live(seed_data_dir))


def test_workers_refuse_another_model(embedder, model_dir: Path) -> None:
    probe = tuple(float(x) for x in embedder.encode_documents(["probe"])[0])
    spec = WorkerSpec(
        model=None,
        backend=embedder.info.backend,
        model_id="someone-else/other-model",
        dim=embedder.dim,
        worker_dir=str(model_dir),
        threads=1,
        batch_size=8,
        probe_vector=probe,
    )
    with pytest.raises(EngineRunError, match="install the same"):
        PassageEmbedder(spec)
    flipped = tuple(-x for x in probe)
    spec = WorkerSpec(**{**spec.__dict__, "model_id": embedder.model_id, "probe_vector": flipped})
    with pytest.raises(EngineRunError, match="probe cosine"):
        PassageEmbedder(spec)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def ray_head(tmp_path: Path) -> Iterator[str]:
    """A one-node Ray cluster started with ``ray start --head``; stopped afterwards."""
    port = _free_port()
    log = tmp_path / "ray-head.log"
    ray_cli = Path(sys.executable).with_name("ray")
    command = [
        str(ray_cli), "start", "--head", "--block", "--port", str(port),
        "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats",
    ]  # fmt: skip
    # Stopped at once at the end (by default it waits 30 s for a graceful drain).
    env = {**os.environ, "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
    with open(log, "w") as out:
        head = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 120
        while "Ray runtime started" not in log.read_text() and time.time() < deadline:
            assert head.poll() is None, log.read_text()
            time.sleep(0.5)
        assert "Ray runtime started" in log.read_text(), log.read_text()
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)  # --block: stops every process it started
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "casesearch.cli.main", "index", *args]


def test_cli_on_a_cluster_killed_driver_resumes_locally(
    seed_data_dir: Path, embedder, model_dir: Path, tmp_path: Path, ray_head: str
) -> None:
    store = load_store(seed_data_dir)
    assert store is not None
    data_dir = tmp_path / "data"
    # The converted model is linked in, not converted again, so the command loads at once.
    shutil.copytree(model_dir / "models", data_dir / "models", copy_function=os.link)
    third = len(store.cases) // 3
    build_index(store.cases[:third], data_dir, embedder, precomputed=_seed_vectors(seed_data_dir))
    before = Searcher.load(data_dir, embedder).search(QUESTIONS[0], 5, highlight=False)
    new_chunks = sum(len(c.chunks) for c in store.cases[third:])

    command = _cli(
        str(CORPUS), "--data-dir", str(data_dir), "--engine", "ray", "--address", ray_head,
        "--workers", "2", "--batch-chars", "2048", "--no-sentences",
    )  # fmt: skip
    # `ray start` enables token authentication; a driver joining it must ask for it too
    # (README: the token is this machine's ~/.ray/auth_token, which the head created).
    env = {**os.environ, "RAY_AUTH_MODE": "token"}
    driver = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    parts = cache_dir(data_dir, embedder.model_id)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and not list(parts.glob(f"*{KEYS}")):
            assert driver.poll() is None, driver.communicate()[1].decode()[-3000:]
            time.sleep(0.05)
        assert list(parts.glob(f"*{KEYS}")), "no embedded batch was saved in time"
        driver.send_signal(signal.SIGKILL)  # the driver dies mid-run
        driver.wait(timeout=30)
    finally:
        if driver.poll() is None:
            driver.kill()
    # The previous index is untouched and answers as before.
    after = Searcher.load(data_dir, embedder).search(QUESTIONS[0], 5, highlight=False)
    assert [r.case_id for r in after.results] == [r.case_id for r in before.results]
    assert len(Searcher.load(data_dir, embedder).cases) == third

    # The next run (here the local engine) takes the finished batches instead of embedding.
    done = subprocess.run(
        _cli(str(CORPUS), "--data-dir", str(data_dir), "--no-sentences", "--json"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["resumed"] > 0
    assert report["resumed"] + report["embedded"] == new_chunks
    assert report["mode"] == "append"
    assert not parts.exists()
    _assert_same_index(_live(data_dir), _live(seed_data_dir))


def test_cli_names_the_extra_when_ray_is_missing(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['ray'] = None; from casesearch.cli.main import main; "
        f"sys.exit(main(['index', '--engine', 'ray', '--data-dir', {str(tmp_path)!r}]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 2
    assert "pip install 'casesearch[ray]'" in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_refuses_the_ray_client_with_a_reason(tmp_path: Path) -> None:
    out = subprocess.run(
        _cli("--engine", "ray", "--address", "ray://127.0.0.1:10001", "--data-dir", str(tmp_path)),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 2
    assert "Ray client" in out.stderr and "--address auto" in out.stderr
    assert not (tmp_path / "store").exists()  # refused before anything was read
