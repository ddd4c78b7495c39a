"""Shared fixtures: one converted model and one built index per test session (real parts)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
CORPUS = REPO / "corpus"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding only the converted default model."""
    return tmp_path_factory.mktemp("model-data")


@pytest.fixture(scope="session")
def embedder(model_dir: Path):
    from casesearch.index.model.embedder import load_embedder

    return load_embedder(None, model_dir)


@pytest.fixture(scope="session")
def seed_data_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """A data directory with the default corpus ingested and indexed."""
    from casesearch.index.update import UpdateOptions, update_index

    data_dir = tmp_path_factory.mktemp("seed-data")
    update_index([CORPUS], data_dir, embedder, options=UpdateOptions(sentences=False))
    return data_dir


@pytest.fixture(scope="session")
def searcher(seed_data_dir: Path, embedder):
    from casesearch.index.search.searcher import Searcher

    return Searcher.load(seed_data_dir, embedder)
