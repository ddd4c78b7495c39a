"""Where evaluated questions and corpora come from.

The project's own labelled questions are about the bundled corpus, so evaluating them needs an
index of that corpus: :func:`own_index` builds it (through the one update path,
:func:`casesearch.index.update.update_index`) when a data directory has none, and never
rebuilds one that exists. The shared public sets live next to a checkout of the repository
(``../shared/data/eval``) and are never copied into it.
"""

from __future__ import annotations

from pathlib import Path

from casesearch.core.config import DEFAULT_CORPUS, REPO_ROOT
from casesearch.core.progress import Progress
from casesearch.index.model.embedder import Embedder
from casesearch.index.storage.build import index_dir
from casesearch.index.storage.manifest import MANIFEST
from casesearch.index.update import UpdateOptions, UpdateReport, update_index

#: Shared BEIR sets next to a checkout, when present.
SHARED_EVAL: Path | None = REPO_ROOT.parent / "shared" / "data" / "eval" if REPO_ROOT else None
SHARED_SETS = ("xquad-da-en", "xquad-en-da", "xquad-mixed", "ntrex-title-da-en")


def shared_folders() -> list[Path]:
    """The shared BEIR sets that are present (none outside a checkout)."""
    if SHARED_EVAL is None:
        return []
    return [SHARED_EVAL / name for name in SHARED_SETS if (SHARED_EVAL / name).exists()]


def has_index(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds a (complete) index."""
    return (index_dir(Path(data_dir)) / MANIFEST).exists()


def own_index(
    data_dir: Path,
    embedder: Embedder,
    *,
    corpus: Path = DEFAULT_CORPUS,
    on_progress: Progress | None = None,
) -> UpdateReport | None:
    """Index ``corpus`` into ``data_dir`` unless it holds an index; None when one existed.

    Raises:
        NothingToIndexError: when the corpus yields no case.
    """
    if has_index(data_dir):
        return None
    return update_index(
        [Path(corpus)],
        data_dir,
        embedder,
        options=UpdateOptions(sentences=False),
        on_progress=on_progress,
    )
