"""One question through the BERT encoder layers, with the weights stored once in the precision
the matrix products run in.

Why: a question is 5-30 tokens, so embedding it costs reading the encoder's 21 M weights, not
arithmetic (a profile of the fp32 path spends 80% in matrix products that each stream their
whole weight matrix from memory for a dozen rows). Stored in bfloat16 on a CPU with bf16
instructions, the weights are half the bytes (42 instead of 85 MB per question), and the
query, key and value products become one. ``torch.autocast`` cannot give this: it casts the
fp32 weights again on every call, which reads more memory than it saves.

Everything but the matrix products stays float32 (biases, residual sums, layer norms, softmax,
GELU), so a question's vector stays within cosine 0.99999 of the fp32 model's, like the
bf16 document path's (tests/test_torch_encoder.py).

A single unpadded text needs no attention mask; batches keep the Hugging Face model.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


class _Layer(torch.nn.Module):
    """One post-norm BERT layer (self-attention, feed-forward), weights in ``dtype``."""

    w_qkv: torch.Tensor
    b_qkv: torch.Tensor
    w_out: torch.Tensor
    b_out: torch.Tensor
    ln1_w: torch.Tensor
    ln1_b: torch.Tensor
    w_in: torch.Tensor
    b_in: torch.Tensor
    w_ffn: torch.Tensor
    b_ffn: torch.Tensor
    ln2_w: torch.Tensor
    ln2_b: torch.Tensor

    def __init__(self, layer: Any, heads: int, eps: float, dtype: torch.dtype) -> None:
        super().__init__()
        attention = layer.attention
        self.heads = heads
        self.eps = eps
        self.dtype = dtype

        def keep(name: str, tensor: torch.Tensor, cast: bool = False) -> None:
            value = tensor.detach().to(dtype if cast else torch.float32).contiguous()
            self.register_buffer(name, value, persistent=False)

        own = attention.self
        keep("w_qkv", torch.cat([own.query.weight, own.key.weight, own.value.weight]), cast=True)
        keep("b_qkv", torch.cat([own.query.bias, own.key.bias, own.value.bias]))
        keep("w_out", attention.output.dense.weight, cast=True)
        keep("b_out", attention.output.dense.bias)
        keep("ln1_w", attention.output.LayerNorm.weight)
        keep("ln1_b", attention.output.LayerNorm.bias)
        keep("w_in", layer.intermediate.dense.weight, cast=True)
        keep("b_in", layer.intermediate.dense.bias)
        keep("w_ffn", layer.output.dense.weight, cast=True)
        keep("b_ffn", layer.output.dense.bias)
        keep("ln2_w", layer.output.LayerNorm.weight)
        keep("ln2_b", layer.output.LayerNorm.bias)

    def _linear(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return F.linear(x.to(self.dtype), weight).float() + bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens, width = x.shape[1], x.shape[2]
        qkv = self._linear(x, self.w_qkv, self.b_qkv)
        qkv = qkv.view(1, tokens, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        context = context.transpose(1, 2).reshape(1, tokens, width)
        x = F.layer_norm(
            self._linear(context, self.w_out, self.b_out) + x,
            (width,),
            self.ln1_w,
            self.ln1_b,
            self.eps,
        )
        inner = F.gelu(self._linear(x, self.w_in, self.b_in))
        return F.layer_norm(
            self._linear(inner, self.w_ffn, self.b_ffn) + x,
            (width,),
            self.ln2_w,
            self.ln2_b,
            self.eps,
        )


class QuestionLayers(torch.nn.Module):
    """The encoder layers of a Hugging Face ``BertModel`` for one unpadded text.

    Args:
        bert: the loaded model (its config must be a post-norm BERT with GELU, as e5-small is).
        bf16: store the matrix weights in bfloat16 (only sensible where the CPU has bf16
            instructions); float32 otherwise.

    Raises:
        ValueError: the model is not a BERT these layers reproduce.
    """

    def __init__(self, bert: Any, *, bf16: bool) -> None:
        super().__init__()
        config = bert.config
        if config.hidden_act != "gelu" or getattr(
            config, "position_embedding_type", "absolute"
        ) not in ("absolute", None):
            raise ValueError(
                f"question layers reproduce BERT with GELU and absolute positions; this model "
                f"has {config.hidden_act!r} and {config.position_embedding_type!r}"
            )
        dtype = torch.bfloat16 if bf16 else torch.float32
        self.layers = torch.nn.ModuleList(
            _Layer(layer, config.num_attention_heads, config.layer_norm_eps, dtype)
            for layer in bert.encoder.layer
        )

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Token states ``(1, tokens, dim)`` float32 of one text's embeddings."""
        for layer in self.layers:
            hidden = layer(hidden)
        return hidden
