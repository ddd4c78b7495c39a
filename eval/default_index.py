"""Make sure a data directory has an index before evaluating it.

``casesearch eval`` should work on a fresh data directory: the labelled questions are about
the bundled corpus, so when no index exists yet it is built from that corpus exactly as
``casesearch index`` would (ingest, then index), and never rebuilt when one exists.
"""

from __future__ import annotations

from pathlib import Path

from casesearch.core.config import DEFAULT_CORPUS
from casesearch.index.model.embedder import Embedder
from casesearch.index.storage.build import BuildReport, build_index, index_dir
from casesearch.index.storage.manifest import MANIFEST


def has_index(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds a (complete) index."""
    return (index_dir(Path(data_dir)) / MANIFEST).exists()


def ensure_index(
    data_dir: Path,
    embedder: Embedder,
    *,
    corpus: Path = DEFAULT_CORPUS,
    progress: bool = False,
) -> BuildReport | None:
    """Build the index from ``corpus`` when ``data_dir`` has none; None when one existed.

    Raises:
        RuntimeError: when the corpus yields no case.
    """
    from casesearch.ingest.pipeline import ingest_paths
    from casesearch.ingest.store import load_store

    if has_index(data_dir):
        return None
    ingest_paths([Path(corpus)], data_dir, progress=progress)
    store = load_store(data_dir)
    if store is None or not store.cases:
        raise RuntimeError(f"no case could be read from {corpus}")
    return build_index(store.cases, data_dir, embedder, progress=progress)
