"""Search quality and behaviour on the default corpus, with the real model and real indexes."""

from __future__ import annotations

from pathlib import Path

import pytest

from casesearch.index.search.searcher import QueryError, Searcher, SearchFilters
from casesearch.index.storage.manifest import IndexMissingError

URBAN_PLANEN = "partnerskabet-urban-planen"
KLIMABORGERTING = "klimaborgerting-tendenser-udfordringer-og-muligheder"


def ids(response) -> list[str]:
    return [r.case_id for r in response.results]


def test_english_question_ranks_urban_planen_first(searcher: Searcher) -> None:
    response = searcher.search("how to involve unemployed residents in waste work", 10)
    assert ids(response)[0] == URBAN_PLANEN


def test_danish_question_finds_the_english_case(searcher: Searcher) -> None:
    response = searcher.search("hvordan inddrager man ledige beboere i affaldsarbejde?", 10)
    assert URBAN_PLANEN in ids(response)[:3]


def test_english_question_finds_danish_climate_assembly(searcher: Searcher) -> None:
    response = searcher.search("experiences with climate citizens' assemblies", 10)
    assert KLIMABORGERTING in ids(response)[:5]
    assert any("da" in n for n in response.notices), response.notices


def test_results_are_distinct_cases(searcher: Searcher) -> None:
    response = searcher.search("borgerinddragelse i byudvikling", 20)
    found = ids(response)
    assert len(found) == 20
    assert len(set(found)) == len(found)
    scores = [r.score for r in response.results]
    assert scores == sorted(scores, reverse=True)


def test_highlight_lies_inside_the_excerpt(searcher: Searcher) -> None:
    response = searcher.search("what were the difficulties in the Urban Planen project?", 5)
    assert response.results
    for result in response.results:
        assert result.highlight is not None
        start, end = result.highlight
        assert 0 <= start < end <= len(result.excerpt)
        case = searcher.case(result.case_id)
        assert case is not None
        assert case["text"][result.chunk_start : result.chunk_end] == result.excerpt


def test_cross_language_highlight_picks_the_matching_sentence(searcher: Searcher) -> None:
    """A Danish question marks the English sentence about unemployed residents and waste."""
    response = searcher.search("ledige beboere som affaldsguider", 5)
    urban = next(r for r in response.results if r.case_id == URBAN_PLANEN)
    start, end = urban.highlight or (0, 0)
    assert "unemployed" in urban.excerpt[start:end].lower()


def test_language_filter(searcher: Searcher) -> None:
    response = searcher.search(
        "how to involve unemployed residents in waste work", 10, filters=SearchFilters(lang="da")
    )
    assert response.results
    assert all(r.lang == "da" for r in response.results)
    assert URBAN_PLANEN not in ids(response)


def test_collection_filter(searcher: Searcher) -> None:
    urban = searcher.case(URBAN_PLANEN)
    assert urban is not None
    response = searcher.search(
        "borgere", 10, filters=SearchFilters(collections=[str(urban["collection"])])
    )
    assert response.results
    assert {r.collection for r in response.results} == {urban["collection"]}


def test_template_field_filter(searcher: Searcher) -> None:
    fields = searcher.field_values()
    assert fields, "the template case should carry fields"
    key = next(iter(fields))
    value = fields[key][0]
    response = searcher.search("co-creation", 10, filters=SearchFilters(fields={key: value}))
    assert response.results
    assert all(value.casefold() in str(r.fields.get(key, "")).casefold() for r in response.results)


def test_unknown_filter_values_give_a_message_not_an_exception(searcher: Searcher) -> None:
    response = searcher.search("borgere", 10, filters=SearchFilters(lang="xx"))
    assert response.results == []
    assert any("xx" in n for n in response.notices)
    response = searcher.search("borgere", 10, filters=SearchFilters(collections=["nope"]))
    assert response.results == []
    assert any("nope" in n for n in response.notices)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_refused_with_a_message(searcher: Searcher, query: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        searcher.search(query)


def test_huge_query_is_truncated_with_a_notice(searcher: Searcher) -> None:
    query = "unemployed residents waste guides " * 3000  # ~100 KB
    assert len(query) > 100_000
    response = searcher.search(query, 5)
    assert response.results
    assert any("tokens" in n for n in response.notices)
    assert len(response.query) < 5000


@pytest.mark.parametrize(
    ("query", "within"),
    [
        ("Wie beteiligt man arbeitslose Bewohner an der Abfallwirtschaft?", 3),
        # Swedish reads as close to Danish, so Danish waste cases come first.
        ("Hur involverar man arbetslösa boende i avfallshantering?", 10),
    ],
)
def test_other_languages_still_work(searcher: Searcher, query: str, within: int) -> None:
    response = searcher.search(query, 10)
    assert URBAN_PLANEN in ids(response)[:within]


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_answers(searcher: Searcher, mode: str) -> None:
    response = searcher.search("klimaborgerting", 5, mode=mode)
    assert KLIMABORGERTING in ids(response)


def test_unknown_mode_is_refused(searcher: Searcher) -> None:
    with pytest.raises(QueryError, match="mode"):
        searcher.search("borgere", mode="magic")


def test_searching_before_indexing_says_how_to_build(tmp_path: Path, embedder) -> None:
    with pytest.raises(IndexMissingError, match="casesearch index"):
        Searcher.load(tmp_path, embedder)


def test_response_carries_the_question_vector_for_later_marking(searcher: Searcher) -> None:
    question = "klimaborgerting"
    response = searcher.search(question, 3, highlight=False)
    assert response.query_vector is not None
    again = searcher.embedder.encode_queries([response.query])[0]
    assert float(response.query_vector @ again) > 0.999
    assert searcher.search(question, 3, mode="bm25", highlight=False).query_vector is None
