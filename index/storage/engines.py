"""Where passages are embedded: on this machine, or across a Ray cluster.

Embedding is the one expensive step of indexing (chunks during the build, sentences after
it); everything else (ingest, BM25 term counts, writing segments, the manifest) runs on the
machine that asked for the update and takes seconds. An :class:`EmbeddingEngine` is that
one step behind a small interface: "embed these passages", answered batch by batch as the
batches finish, in any order. The build and the sentence preparation consume those batches
the same way whichever engine produced them, save each one to the resumable caches, and
commit the index themselves, so a distributed run writes exactly the index a local run
writes.

* ``local`` (:class:`LocalEngine`): the loaded model, in this process.
* ``ray`` (:class:`casesearch.index.storage.ray_engine.RayEngine`): a Ray Data pipeline
  whose actors each load the model once; needs ``pip install 'casesearch[ray]'``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from casesearch.index.model.embedder import Embedder

ENGINES = ("local", "ray")
#: Passages per model call of the local engine; progress (and the embedding cache) is
#: updated after each.
LOCAL_STEP = 256


class EngineUnavailableError(RuntimeError):
    """The engine cannot run here; the message says what to install or how to configure."""


class EngineRunError(RuntimeError):
    """An engine failed during a run (a worker could not load the model, retries ran out);
    the batches finished before are in the embedding cache."""


@dataclass(frozen=True)
class EmbeddedBatch:
    """Vectors of some of the passages an engine was given.

    Attributes:
        rows: positions of the passages in the list given to the engine.
        vectors: their normalised float32 vectors, aligned with ``rows``.
        worker: who computed them (``local``, or a Ray worker's ``host:pid``).
    """

    rows: np.ndarray
    vectors: np.ndarray
    worker: str


class EmbeddingEngine(Protocol):
    """Embeds passages (with the model's document prompt), batch by batch."""

    @property
    def name(self) -> str: ...

    def embed_documents(self, texts: Sequence[str]) -> Iterator[EmbeddedBatch]:
        """Yield the vectors of ``texts`` batch by batch as batches finish (any order;
        every row exactly once)."""
        ...

    def describe(self) -> str:
        """One line for the user: where the work runs (workers, threads, nodes)."""
        ...

    def close(self) -> None:
        """Release workers and connections (the engine may not be used afterwards)."""
        ...


@dataclass(frozen=True)
class EngineOptions:
    """Which engine embeds, and how it is set up.

    Attributes:
        name: ``local`` (this process) or ``ray``.
        address: for ``ray``: None starts a Ray instance on this machine for the run;
            ``auto`` (or the head's ``HOST:PORT``) joins the cluster this machine is a node
            of (``ray start``). The Ray client (``ray://``) is refused: Ray Data fails
            through it (measured with Ray 2.60).
        workers: for ``ray``: model replicas (Ray actors); None means as many as the cluster
            has CPUs for (``CPUs // threads_per_worker``).
        threads_per_worker: CPU threads each replica computes with (and reserves in Ray).
        batch_chars: for ``ray``: characters of passages per batch (one model call on a
            worker, the unit that is retried and cached); about 64 chunks or 400 sentences.
        worker_dir: for ``ray``: folder on each node where workers keep the converted model
            (default: the data directory on a Ray started here, ``~/.cache/casesearch``
            on a cluster). Workers never write the data directory.
        max_retries: for ``ray``: how often a worker that died is restarted, and how often a
            batch whose worker died is run again, before the run fails.
    """

    name: str = "local"
    address: str | None = None
    workers: int | None = None
    threads_per_worker: int = 1
    batch_chars: int = 65_536
    worker_dir: str | None = None
    max_retries: int = 3


class LocalEngine:
    """The loaded model in this process, ``step`` passages per call."""

    name = "local"

    def __init__(self, embedder: Embedder, *, batch_size: int = 32, step: int = LOCAL_STEP):
        self.embedder = embedder
        self.batch_size = batch_size
        self.step = max(1, step)

    def embed_documents(self, texts: Sequence[str]) -> Iterator[EmbeddedBatch]:
        for start in range(0, len(texts), self.step):
            part = list(texts[start : start + self.step])
            vectors = self.embedder.encode_documents(part, batch_size=self.batch_size)
            rows = np.arange(start, start + len(part), dtype=np.int64)
            yield EmbeddedBatch(rows, vectors, "local")

    def describe(self) -> str:
        return f"local ({self.embedder.info.backend})"

    def close(self) -> None:
        return None


def check_engine(options: EngineOptions) -> None:
    """Fail early (before a model is loaded) when ``options`` cannot work here.

    Raises:
        EngineUnavailableError: an unknown engine, bad numbers, or Ray is not installed
            (the message names the extra to install).
    """
    if options.name not in ENGINES:
        raise EngineUnavailableError(
            f"Unknown engine {options.name!r}; choose one of {', '.join(ENGINES)}."
        )
    if options.name == "local":
        return
    if (options.address or "").startswith("ray://"):
        raise EngineUnavailableError(
            f"--address {options.address}: Ray Data pipelines do not run through the Ray "
            "client (ray://) in the Ray versions casesearch supports. Run `casesearch index` "
            "on a node of the cluster (the head, or any node joined with `ray start "
            "--address`) with --address auto."
        )
    if options.workers is not None and options.workers < 1:
        raise EngineUnavailableError(f"--workers must be at least 1, not {options.workers}.")
    if options.batch_chars < 1:
        raise EngineUnavailableError(
            f"--batch-chars must be at least 1, not {options.batch_chars}."
        )
    if options.threads_per_worker < 1:
        raise EngineUnavailableError(
            f"--worker-threads must be at least 1, not {options.threads_per_worker}."
        )
    try:
        importlib.import_module("ray.data")
    except ImportError as exc:
        raise EngineUnavailableError(
            f"The ray engine needs Ray Data, which is not installed here ({exc}): "
            "`pip install 'casesearch[ray]'` (on this machine and on every node of the "
            "cluster, with the same versions)."
        ) from exc


def open_engine(
    options: EngineOptions | None,
    embedder: Embedder,
    data_dir: Path,
    *,
    batch_size: int = 32,
) -> EmbeddingEngine:
    """The engine ``options`` ask for, ready to embed with ``embedder``'s model.

    Nothing is started yet: a Ray engine joins or starts Ray when it first has passages to
    embed, so an update that finds nothing new costs no start-up.

    Raises:
        EngineUnavailableError: an unknown engine, or Ray is not installed (the message
            names the extra to install).
    """
    options = options or EngineOptions()
    check_engine(options)
    if options.name == "local":
        return LocalEngine(embedder, batch_size=batch_size)
    from casesearch.index.storage.ray_engine import RayEngine

    return RayEngine(options, embedder, data_dir, batch_size=batch_size)
