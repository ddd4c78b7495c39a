"""Any question, any k, any filter, any mode: a ranked answer or a clear QueryError, never a
traceback. Runs the real model on the seed index (every example is a real search)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casesearch.index.search.searcher import MAX_K, QueryError, Searcher, SearchFilters

#: Texts practitioners could type or paste: any Unicode (control characters, right-to-left
#: marks, emoji, combining marks), whitespace only, and very long pastes.
QUESTIONS = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(categories=["Zs", "Cc", "Zl", "Zp"]), max_size=20),
    st.text(min_size=1, max_size=30).map(lambda t: t * 2_000),
    st.sampled_from(["klimaborgerting", "hvordan inddrager man unge?", "waste work"]),
)
KS = st.one_of(st.integers(min_value=-5, max_value=MAX_K + 5), st.sampled_from([1, 10]))
MODES = st.sampled_from(["hybrid", "dense", "bm25", "fuzzy", ""])
FILTERS = st.one_of(
    st.none(),
    st.builds(
        SearchFilters,
        lang=st.one_of(st.none(), st.sampled_from(["da", "en", "xx", ""])),
        collections=st.lists(st.text(max_size=12), max_size=2),
        fields=st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)), max_size=2),
    ),
)


@pytest.fixture(scope="module")
def searcher(seed_data_dir: Path, embedder) -> Searcher:
    return Searcher.load(seed_data_dir, embedder)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(question=QUESTIONS, k=KS, mode=MODES, filters=FILTERS, highlight=st.booleans())
def test_any_query_is_answered_or_refused_clearly(
    searcher: Searcher,
    question: str,
    k: int,
    mode: str,
    filters: SearchFilters | None,
    highlight: bool,
) -> None:
    try:
        response = searcher.search(question, k, mode=mode, filters=filters, highlight=highlight)
    except QueryError as exc:
        message = str(exc)
        assert message and "Traceback" not in message
        # Refused only for what the API documents: empty question, bad k, unknown mode.
        assert not question.split() or not 1 <= k <= MAX_K or mode not in {
            "hybrid", "dense", "bm25",
        }  # fmt: skip
        return
    assert question.split() and 1 <= k <= MAX_K
    results = response.results
    assert len(results) <= k
    assert [r.rank for r in results] == list(range(1, len(results) + 1))
    assert all(math.isfinite(r.score) for r in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert len({r.case_id for r in results}) == len(results)
    for r in results:
        assert 0 <= r.chunk_start <= r.chunk_end
        if r.highlight is not None:
            start, end = r.highlight
            assert 0 <= start < end <= len(r.excerpt)
        if filters is not None and filters.lang:
            assert r.lang == filters.lang
