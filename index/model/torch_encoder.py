"""The default model on torch with our own batching: bf16 matrix products and token states.

sentence-transformers runs the reference (fp32) backend. This encoder runs the same BERT
weights itself, for two reasons the reference cannot serve:

* **bf16 on CPUs that have it.** Under ``torch.autocast`` the matrix products run in bfloat16
  (oneDNN's AMX or AVX-512-BF16 kernels) while layer norms, softmax and the accumulators stay
  float32. On the 2-core benchmark machine this embeds chunks several times faster than fp32
  with vectors at cosine >= 0.9999 to it (BENCHMARKS.md).
* **Token states.** :meth:`TorchEncoder.token_states` hands out every token's contextual
  state with its character offsets (used by ``benchmarks/bench_marking.py`` to measure
  sentence vectors pooled from the chunk pass; they marked worse than separately embedded
  sentences, see BENCHMARKS.md).

Texts are tokenised once, sorted by length and cut into batches of similar lengths, so a batch
is padded to its own longest text only; vectors are returned in input order.

A single text (a question) is too small for autocast to pay off: its cost is reading the
weights, which autocast casts again on every call. It runs through :class:`QuestionLayers`
instead (the same layers with the weights stored once in bfloat16, in oneDNN's own layout
where torch has it, Q/K/V fused), compiled with TorchScript when first needed
(:class:`CompiledQuestionLayers`, ~0.05 s).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Encoding

from casesearch.index.model.backends import (
    TokenizerAdapter,
    build_threads,
    is_small_job,
    load_tokenizer,
    query_threads,
    torch_threads,
)

log = logging.getLogger(__name__)

#: Tokens per batch (padded): keeps a batch's activations small while giving the matrix
#: kernels enough rows; 16 chunks of ~250 tokens.
BATCH_TOKENS = 4096


def sorted_batches(lengths: Sequence[int], batch_tokens: int, max_rows: int) -> list[np.ndarray]:
    """Row indices cut into batches of similar length, longest first.

    A batch holds at most ``max_rows`` texts and at most ``batch_tokens`` padded tokens (but
    always at least one text), so short texts travel in large batches and long ones in small.
    """
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        width = max(1, int(lengths[order[start]]))  # the longest of this batch
        rows = max(1, min(max_rows, batch_tokens // width))
        batches.append(order[start : start + rows])
        start += rows
    return batches


class TorchEncoder:
    """SentenceTransformer-like encoder over a BERT folder, fp32 or bf16.

    Args:
        model_dir: a converted BERT folder (``config.json``, weights, ``tokenizer.json``).
        bf16: run the matrix products in bfloat16 (only sensible where :func:`cpu_has_bf16`).
        max_length: the model's window in tokens; longer texts are cut, as the model does.
        query_prompt: the prompt that marks a text as a question. Only a single question takes
            the question layers: a document embeds the same alone or with others (fp32 for
            small jobs), so re-indexing a file never changes its vectors.
    """

    def __init__(
        self, model_dir: Path, *, bf16: bool, max_length: int = 512, query_prompt: str = "query: "
    ) -> None:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._torch = torch
        self.bf16 = bf16
        self.max_seq_length = max_length
        self._model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self._dim = int(config["hidden_size"])
        self._pad = int(config.get("pad_token_id", 1))
        self._tok = load_tokenizer(model_dir, max_length)
        plain = load_tokenizer(model_dir, 1 << 30)
        plain.no_truncation()
        self.tokenizer = TokenizerAdapter(plain)
        self._layers: Any = None  # the question layers (compiled), built on the first question
        self._building = threading.Lock()
        self.query_prompt = query_prompt

    def get_embedding_dimension(self) -> int:
        return self._dim

    # ------------------------------------------------------------------ running the model
    def _autocast(self, small: bool) -> contextlib.AbstractContextManager[None]:
        # A single question is dominated by per-operator overhead, which autocast adds to;
        # only batches gain from the bf16 kernels.
        if self.bf16 and not small:
            return self._torch.autocast("cpu", dtype=self._torch.bfloat16)
        return contextlib.nullcontext()

    def _states(
        self, encodings: Sequence[Encoding], rows: np.ndarray, small: bool
    ) -> tuple[Any, Any]:
        """Token states ``(batch, width, dim)`` float32 and the mask of one batch."""
        torch = self._torch
        width = max(len(encodings[r].ids) for r in rows)
        ids = np.full((len(rows), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            seq = encodings[r].ids
            ids[i, : len(seq)] = seq
            mask[i, : len(seq)] = 1
        ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
        with self._autocast(small):
            states = self._model(input_ids=ids_t, attention_mask=mask_t)[0]
        return states.float(), mask_t

    def _batches(
        self, texts: list[str], batch_size: int
    ) -> Iterator[tuple[np.ndarray, Any, Any, list[Encoding]]]:
        """``(rows, states, mask, encodings)`` per length-sorted batch, under the job's
        thread count."""
        torch = self._torch
        small = is_small_job(texts)
        encodings = self._tok.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        with torch_threads(query_threads() if small else build_threads()), torch.inference_mode():
            for rows in sorted_batches(lengths, BATCH_TOKENS, max(1, batch_size)):
                states, mask = self._states(encodings, rows, small)
                yield rows, states, mask, encodings

    @staticmethod
    def _mean(states: Any, mask: Any) -> np.ndarray:
        import torch

        weights = mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()

    # ------------------------------------------------------------------ single questions
    def _question_layers(self) -> Any:
        """The single-question layers, built and compiled on first use (+42 MB in bf16), or
        None where the model is not a BERT they reproduce (questions then take the batch
        path). Where this torch cannot compile them they run eagerly."""
        with self._building:
            if self._layers is None:
                from casesearch.index.model.question_layers import (
                    CompiledQuestionLayers,
                    QuestionLayers,
                )

                try:
                    layers = QuestionLayers(self._model, bf16=self.bf16).eval()
                except ValueError as exc:
                    log.warning("single questions take the batch path: %s", exc)
                    self._layers = False
                    return None
                try:
                    self._layers = CompiledQuestionLayers(layers)
                except Exception as exc:  # an older/newer torch that cannot script them
                    log.warning("single questions run eagerly: %s: %s", type(exc).__name__, exc)
                    self._layers = layers
            return self._layers or None

    def _encode_single(self, text: str) -> np.ndarray | None:
        """One text through the question layers, or None where the model has none."""
        layers = self._question_layers()
        if layers is None:
            return None
        torch = self._torch
        ids = torch.tensor([self._tok.encode(text).ids])
        with torch_threads(query_threads()), torch.inference_mode():
            return layers.embed(ids).numpy()

    # ------------------------------------------------------------------ public
    def token_states(
        self, texts: list[str], batch_size: int = 32
    ) -> Iterator[tuple[int, np.ndarray, Encoding]]:
        """``(row, states, encoding)`` for every text: its token states (float32, tokens x
        dim) and its ``tokenizers`` encoding (ids, offsets, special-token mask)."""
        for rows, states, mask, encodings in self._batches(texts, batch_size):
            for i, row in enumerate(rows.tolist()):
                n = int(mask[i].sum())
                yield row, states[i, :n].numpy(), encodings[row]

    def encode(
        self,
        sentences: list[str],
        prompt: str | None = None,
        batch_size: int = 32,
        show_progress_bar: bool = False,
        **_ignored: object,
    ) -> np.ndarray:
        """Normalised mean-pooled vectors, in input order."""
        texts = [(prompt or "") + s for s in sentences]
        if len(texts) == 1 and prompt == self.query_prompt:
            single = self._encode_single(texts[0])
            if single is not None:
                return single
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        bar = _bar(len(texts), show_progress_bar)
        for rows, states, mask, _ in self._batches(texts, batch_size):
            out[rows] = self._mean(states, mask)
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()
        return out


def _bar(total: int, show: bool) -> Any:
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="Embedding", unit="chunk")
