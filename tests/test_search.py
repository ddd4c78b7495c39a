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
    assert response.query_language == "en"
    assert "da" in response.other_languages, response.result_languages


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
        assert case.text[result.chunk_start : result.chunk_end] == result.excerpt


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
        "borgere", 10, filters=SearchFilters(collections=(urban.collection,))
    )
    assert response.results
    assert {r.collection for r in response.results} == {urban.collection}


def test_template_field_filter(searcher: Searcher) -> None:
    fields = searcher.field_values()
    assert fields, "the template case should carry fields"
    key = next(iter(fields))
    value = fields[key][0]
    response = searcher.search("co-creation", 10, filters=SearchFilters(fields=((key, value),)))
    assert response.results
    assert all(value.casefold() in str(r.fields.get(key, "")).casefold() for r in response.results)


def test_unknown_filter_values_give_a_message_not_an_exception(searcher: Searcher) -> None:
    response = searcher.search("borgere", 10, filters=SearchFilters(lang="xx"))
    assert response.results == []
    assert response.filter_facts is not None
    assert response.filter_facts.unknown_language == "xx"
    assert response.filter_facts.nothing_matches
    assert "da" in response.filter_facts.languages
    response = searcher.search("borgere", 10, filters=SearchFilters(collections=("nope",)))
    assert response.results == []
    assert response.filter_facts is not None
    assert response.filter_facts.unknown_collections == ("nope",)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_refused_with_a_message(searcher: Searcher, query: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        searcher.search(query)


def test_huge_query_is_truncated_with_a_notice(searcher: Searcher) -> None:
    query = "unemployed residents waste guides " * 3000  # ~100 KB
    assert len(query) > 100_000
    response = searcher.search(query, 5)
    assert response.results
    assert response.truncation is not None
    assert response.truncation.tokens > response.truncation.kept
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


def test_filters_are_hashable_and_normalised() -> None:
    a = SearchFilters(lang="da", collections=["b", "a"], fields={"k": "v"})
    b = SearchFilters(lang="da", collections=("a", "b"), fields=(("k", "v"),))
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert not SearchFilters().active()


def test_settings_and_vector_are_per_call(searcher: Searcher) -> None:
    """One searcher serves other settings and a given vector without changing its own state."""
    from casesearch.index.search.fusion import FusionSettings
    from casesearch.index.search.searcher import SearchSettings

    question = "borgerinddragelse af unge i byudvikling"
    default = searcher.search(question, 10, highlight=False)
    bm25_heavy = SearchSettings(fusion=FusionSettings(bm25_weight=0.9))
    heavy = searcher.search(question, 10, settings=bm25_heavy, highlight=False)
    assert searcher.settings == SearchSettings()
    assert [r.score for r in heavy.results] != [r.score for r in default.results]
    vector = searcher.embed_queries([question])[0]
    given = searcher.search(question, 10, vector=vector, highlight=False)
    assert ids(given) == ids(default)
    only_vector = searcher.search(vector, 10, mode="dense", highlight=False)
    assert ids(only_vector) == ids(searcher.search(question, 10, mode="dense", highlight=False))
    with pytest.raises(QueryError, match="dense"):
        searcher.search(vector, 10, mode="hybrid")


def test_batch_search_keeps_going_past_a_bad_question(searcher: Searcher) -> None:
    answers = searcher.search_batch(["klimaborgerting", "   ", "affaldsguider"], 5)
    assert isinstance(answers[1], QueryError)
    first, last = answers[0], answers[2]
    assert not isinstance(first, QueryError) and not isinstance(last, QueryError)
    assert ids(first) == ids(searcher.search("klimaborgerting", 5))
    assert first.marked and all(r.highlight is not None for r in first.results)


@pytest.mark.parametrize("k", [0, -1, 1001])
def test_out_of_range_k_is_refused(searcher: Searcher, k: int) -> None:
    with pytest.raises(QueryError, match="between 1 and"):
        searcher.search("borgere", k)


def test_marking_best_sentences_is_a_step_of_its_own(searcher: Searcher) -> None:
    response = searcher.search("ledige beboere som affaldsguider", 5, highlight=False)
    assert not response.marked and all(r.highlight is None for r in response.results)
    searcher.mark_best_sentences(response)
    assert response.marked
    marked = searcher.search("ledige beboere som affaldsguider", 5)
    assert [r.highlight for r in response.results] == [r.highlight for r in marked.results]


def test_a_failing_embedding_is_reported_not_waited_for(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The searching thread waits for the question's vector before detecting its language;
    an embedding that fails must end that wait and surface its error."""
    import concurrent.futures

    def broken(texts: list[str]) -> None:
        raise RuntimeError("model unavailable")

    monkeypatch.setattr(searcher.embedder, "encode_queries", broken)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(searcher.search, "borgerinddragelse", 5)
        with pytest.raises(RuntimeError, match="model unavailable"):
            pending.result(timeout=60)
    assert ids(searcher.search("borgerinddragelse", 5, mode="bm25", highlight=False))


def test_search_reports_its_stages(searcher: Searcher) -> None:
    timings = searcher.search("klimaborgerting", 5).timings_ms
    for stage in ("embed", "faiss", "bm25", "embed_wait", "lang", "dense_wait", "fuse_group"):
        assert stage in timings and timings[stage] >= 0
