"""One question through the BERT encoder layers, with the weights stored once in the precision
and memory layout the matrix products run in.

Why: a question is 5-30 tokens, so embedding it costs reading the encoder's 21 M weights, not
arithmetic (a profile of the fp32 path spends 80% in matrix products that each stream their
whole weight matrix from memory for a dozen rows). Stored in bfloat16 on a CPU with bf16
instructions, the weights are half the bytes (42 instead of 85 MB per question), and the
query, key and value products become one. ``torch.autocast`` cannot give this: it casts the
fp32 weights again on every call, which reads more memory than it saves.

Where torch's oneDNN build offers it, the bf16 matrices are also stored in oneDNN's own blocked
layout (``mkldnn._reorder_linear_weight``), so the kernel no longer re-arranges every weight
matrix on every call. That changes the layout, not the precision: for questions up to 30
tokens the vectors are bit-identical to the plain bf16 products, and for longer ones oneDNN
picks a kernel that sums in another order (cosine >= 0.999996 to the plain products, as
close to fp32 as they are; tests/test_torch_encoder.py). Torch builds without those kernels
keep the plain products.

Everything but the matrix products stays float32 (biases, residual sums, layer norms, softmax,
GELU), so a question's vector stays within cosine 0.99999 of the fp32 model's, like the
bf16 document path's.

The module is written so TorchScript can compile it (:class:`CompiledQuestionLayers`). A single
unpadded text needs no attention mask; batches keep the Hugging Face model.
"""

from typing import Any, Optional, Union

import torch
import torch.nn.functional as F


def packed_kernels_available() -> bool:
    """True where torch has oneDNN's prepacked bf16 linear kernels (a private but long-lived
    part of its CPU build, used by its own compiler); checked by running one."""
    try:
        weight = torch.ops.mkldnn._reorder_linear_weight(torch.ones(8, 8, dtype=torch.bfloat16))
        out = _packed_product(torch.ones(2, 8, dtype=torch.bfloat16), weight)
    except (AttributeError, RuntimeError):
        return False
    return bool(torch.equal(out.float(), torch.full((2, 8), 8.0)))


def _packed_product(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    no_scalars: list[Optional[Union[int, float, complex]]] = []  # noqa: UP007, UP045 (TorchScript's spelling)
    return torch.ops.mkldnn._linear_pointwise(x, weight, None, "none", no_scalars, "")


class _Layer(torch.nn.Module):
    """One post-norm BERT layer (self-attention, feed-forward), matrices in bf16 or fp32."""

    packed: bool
    heads: int
    eps: float
    weights: list[torch.Tensor]
    biases: list[torch.Tensor]
    norms: list[torch.Tensor]

    def __init__(self, layer: Any, heads: int, eps: float, bf16: bool, packed: bool) -> None:
        super().__init__()
        attention = layer.attention
        own = attention.self
        self.heads = heads
        self.eps = eps
        self.packed = packed
        matrices = [
            torch.cat([own.query.weight, own.key.weight, own.value.weight]),
            attention.output.dense.weight,
            layer.intermediate.dense.weight,
            layer.output.dense.weight,
        ]
        stored = [m.detach().to(torch.bfloat16 if bf16 else torch.float32) for m in matrices]
        if packed:
            stored = [torch.ops.mkldnn._reorder_linear_weight(m.contiguous()) for m in stored]
        self.weights = [m.contiguous() for m in stored]
        fp32 = [
            torch.cat([own.query.bias, own.key.bias, own.value.bias]),
            attention.output.dense.bias,
            layer.intermediate.dense.bias,
            layer.output.dense.bias,
        ]
        self.biases = [b.detach().float().contiguous() for b in fp32]
        norms = [attention.output.LayerNorm, layer.output.LayerNorm]
        self.norms = [t.detach().float().contiguous() for n in norms for t in (n.weight, n.bias)]

    def _linear(self, x: torch.Tensor, i: int) -> torch.Tensor:
        weight = self.weights[i]
        if self.packed:
            y = _packed_product(x.to(torch.bfloat16), weight)
        else:
            y = F.linear(x.to(weight.dtype), weight)
        return self.biases[i] + y  # one float32 sum (bf16 -> fp32 is exact)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens, width = x.shape[1], x.shape[2]
        qkv = self._linear(x, 0)
        qkv = qkv.view(1, tokens, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        context = context.transpose(1, 2).reshape(1, tokens, width)
        x = F.layer_norm(
            self._linear(context, 1) + x, [width], self.norms[0], self.norms[1], self.eps
        )
        inner = F.gelu(self._linear(x, 2))
        return F.layer_norm(
            self._linear(inner, 3) + x, [width], self.norms[2], self.norms[3], self.eps
        )


class QuestionLayers(torch.nn.Module):
    """The encoder layers of a Hugging Face ``BertModel`` for one unpadded text.

    Args:
        bert: the loaded model (its config must be a post-norm BERT with GELU, as e5-small is).
        bf16: store the matrix weights in bfloat16 (only sensible where the CPU has bf16
            instructions); float32 otherwise.
        packed: store bf16 matrices in oneDNN's layout; ``None`` decides by
            :func:`packed_kernels_available`. Ignored for float32.

    Raises:
        ValueError: the model is not a BERT these layers reproduce.
    """

    input_norm: list[torch.Tensor]

    def __init__(self, bert: Any, *, bf16: bool, packed: bool | None = None) -> None:
        super().__init__()
        config = bert.config
        if config.hidden_act != "gelu" or getattr(
            config, "position_embedding_type", "absolute"
        ) not in ("absolute", None):
            raise ValueError(
                f"question layers reproduce BERT with GELU and absolute positions; this model "
                f"has {config.hidden_act!r} and {config.position_embedding_type!r}"
            )
        if packed is None:
            packed = packed_kernels_available()
        self.packed = bool(bf16 and packed)
        self.layers = torch.nn.ModuleList(
            _Layer(layer, config.num_attention_heads, config.layer_norm_eps, bf16, self.packed)
            for layer in bert.encoder.layer
        )
        # The input embeddings, shared with the model (not copied): word + token type 0 +
        # position, then the layer norm, in the order BertEmbeddings sums them.
        embeddings = bert.embeddings
        self.word = embeddings.word_embeddings.weight.detach()
        self.type0 = embeddings.token_type_embeddings.weight[0].detach()
        self.position = embeddings.position_embeddings.weight.detach()
        norm = embeddings.LayerNorm
        self.input_norm = [norm.weight.detach(), norm.bias.detach()]
        self.input_eps = float(norm.eps)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Token states ``(1, tokens, dim)`` float32 of one text's embeddings."""
        for layer in self.layers:
            hidden = layer(hidden)
        return hidden

    @torch.jit.export
    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """The normalised mean-pooled vector ``(1, dim)`` of one text's token ids ``(1, n)``:
        embeddings, layers and pooling in one call, so a compiled copy needs Python (and the
        GIL) once per question, not between steps."""
        hidden = self.word[ids] + self.type0
        hidden = hidden + self.position[: ids.shape[1]]
        hidden = F.layer_norm(
            hidden, [hidden.shape[2]], self.input_norm[0], self.input_norm[1], self.input_eps
        )
        return F.normalize(self.forward(hidden).mean(1), dim=-1)


class CompiledQuestionLayers:
    """:class:`QuestionLayers` compiled with TorchScript, run by its plain interpreter.

    Why: compiled, the layers run without Python between their ~150 operations (8.4 -> 7.1 ms
    for a question, BENCHMARKS.md). Scripting, unlike tracing, keeps the packed oneDNN weights. The
    interpreter runs with graph optimisation off (``torch.jit.optimized_execution(False)``, a
    per-thread setting, so concurrent searches do not disturb each other):
    the default profiling executor spends its first two runs profiling (~40-50 ms each) and
    has nothing to fuse here on a CPU, so it would only cost; without it the compiled copy is
    ready when built (~0.03 s) and computes exactly what the eager layers do.

    Raises:
        RuntimeError: this torch cannot script the layers (callers stay eager).
    """

    def __init__(self, layers: QuestionLayers) -> None:
        self._script = torch.jit.script(layers)

    def __call__(self, hidden: torch.Tensor) -> torch.Tensor:
        with torch.jit.optimized_execution(False):
            return self._script(hidden)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """See :meth:`QuestionLayers.embed`."""
        with torch.jit.optimized_execution(False):
            return self._script.embed(ids)
