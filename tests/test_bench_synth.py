"""The scale-benchmark corpora: right size, reproducible, derived chunk by chunk from real ones."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import synth
from casesearch.ingest.model import Case, Chunk


def _case(cid: str, sentences: list[str], per_chunk: int = 2) -> Case:
    text = " ".join(sentences)
    chunks = []
    pos = 0
    for i in range(0, len(sentences), per_chunk):
        part = " ".join(sentences[i : i + per_chunk])
        start = text.index(part, pos)
        chunks.append(Chunk(f"{cid}-{i}", start, start + len(part), None, "en"))
        pos = start + len(part)
    return Case(cid, cid.title(), text, "en", f"{cid}.txt", "c", chunks=chunks)


@pytest.fixture
def base() -> list[Case]:
    return [
        _case(f"case{k}", [f"Sentence {j} of case {k} about citizens." for j in range(6)])
        for k in range(5)
    ]


def test_corpus_has_exact_size_and_origins(base: list[Case]) -> None:
    vocab = synth.vocabulary(base)
    for size in (4, 15, 40):
        corpus = synth.make_corpus(base, size, vocab)
        assert corpus.chunks == size == sum(len(c.chunks) for c in corpus.cases)
        assert max(corpus.origin) < 15
        assert len({c.id for c in corpus.cases}) == len(corpus.cases)
    assert base[0].chunks and all(len(c.chunks) == 3 for c in base)  # base left intact


def test_variant_is_reproducible_and_keeps_chunk_structure(base: list[Case]) -> None:
    vocab = synth.vocabulary(base)
    a = synth.variant_case(base[1], 3, vocab)
    b = synth.variant_case(base[1], 3, vocab)
    assert a.text == b.text and a.id == "v3-case1" and "(variant 3)" in a.title
    assert len(a.chunks) == len(base[1].chunks)
    for chunk in a.chunks:
        assert a.chunk_text(chunk).strip()
    assert synth.variant_case(base[1], 4, vocab).text != a.text


def test_derived_vectors_are_normalised_and_close_to_their_origin(base: list[Case]) -> None:
    corpus = synth.make_corpus(base, 40, synth.vocabulary(base))
    rng = np.random.default_rng(0)
    base_vecs = rng.normal(size=(15, 384)).astype(np.float32)
    base_vecs /= np.linalg.norm(base_vecs, axis=1, keepdims=True)
    vectors = synth.derived_vectors(corpus, base_vecs)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cos = np.sum(vectors * base_vecs[corpus.origin], axis=1)
    assert np.all(cos[np.asarray(corpus.variant) == 0] > 0.9999)
    assert 0.9 < float(np.mean(cos[np.asarray(corpus.variant) > 0])) < 0.999


def test_precomputed_keys_are_build_index_hashes(base: list[Case]) -> None:
    from casesearch.index.storage.build import chunk_hash
    from casesearch.ingest.model import chunk_text_for_embedding

    corpus = synth.make_corpus(base, 20, synth.vocabulary(base))
    vectors = np.zeros((20, 4), dtype=np.float32)
    pre = synth.precomputed_for(corpus, vectors, "m")
    case = corpus.cases[-1]
    assert chunk_hash("m", chunk_text_for_embedding(case, case.chunks[-1])) in pre


def test_missing_participedia_says_so(tmp_path) -> None:
    with pytest.raises(synth.DataMissingError, match="absent"):
        synth.load_participedia(tmp_path / "nope.jsonl")


def test_vector_model_draws_cases_without_near_duplicates() -> None:
    """Drawn vectors keep the fitted structure: language offset, cases tighter than corpus."""
    rng = np.random.default_rng(1)
    dim, n_cases, per_case = 32, 60, 8
    lang_means = {"da": rng.normal(size=dim), "en": rng.normal(size=dim)}
    case_of = np.repeat(np.arange(n_cases), per_case)
    langs = np.asarray(["da" if c % 2 else "en" for c in case_of], dtype=object)
    case_centre = rng.normal(scale=0.3, size=(n_cases, dim))
    real = np.stack([lang_means[x] for x in langs]) + case_centre[case_of]
    real += rng.normal(scale=0.15, size=real.shape)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    model = synth.fit_model_to(real.astype(np.float32), case_of, langs)
    drawn = synth.draw_vectors(model, case_of, langs, seed=5)
    assert np.allclose(np.linalg.norm(drawn, axis=1), 1.0, atol=1e-5)
    sims = drawn @ drawn.T
    same_case = case_of[:, None] == case_of[None, :]
    same_lang = langs[:, None] == langs[None, :]
    off = ~np.eye(len(drawn), dtype=bool)
    within = sims[same_case & off].mean()
    across = sims[~same_case & same_lang].mean()
    other_lang = sims[~same_lang].mean()
    real_sims = real @ real.T
    assert within > across > other_lang
    assert abs(within - real_sims[same_case & off].mean()) < 0.05
    assert abs(across - real_sims[~same_case & same_lang].mean()) < 0.05
    assert sims[off].max() < 0.999  # no copies
