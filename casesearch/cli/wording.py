"""What the command line tells a user about a search, in English words.

The searcher returns facts (:class:`~casesearch.index.search.response.SearchResponse`); this
module turns them into sentences. Languages are named in words ("Danish"), not codes.
"""

from __future__ import annotations

from casesearch.core.languages import language_list, language_name
from casesearch.index.search.response import SearchFilters, SearchResponse, SearchResult


def notices(response: SearchResponse) -> list[str]:
    """Sentences about the search worth showing above its results."""
    out: list[str] = []
    if response.truncation is not None:
        t = response.truncation
        out.append(
            f"The question was {t.tokens} tokens long; only the first {t.kept} tokens were used."
        )
    facts = response.filter_facts
    if facts is not None:
        if facts.unknown_language:
            known = [lang for lang in facts.languages if lang != "unknown"]
            out.append(
                f"No cases in {language_name(facts.unknown_language)}; the index has "
                f"{language_list(known) or 'no languages'}."
            )
        if facts.unknown_collections:
            out.append(f"Unknown collection(s): {', '.join(facts.unknown_collections)}.")
        if facts.nothing_matches and not out:
            out.append("No cases match these filters.")
    others = response.other_languages
    if others and response.query_language:
        out.append(
            f"Your question looks {language_name(response.query_language)}; results include "
            f"cases in {language_list(others)}."
        )
    return out


def answer_notice() -> str:
    """Said above a list in which no case is likely to answer the question."""
    return "Nothing in this collection seems to answer this; the closest cases are:"


def match_words(result: SearchResult) -> str:
    """``strong match (87%)``; the bare score when relevance is not calibrated."""
    if result.relevance is None or result.match is None:
        return f"score {result.score:.3f} (relevance not calibrated for this model)"
    return f"{result.match} match ({result.relevance:.0%} likely to answer)"


def filters_in_words(filters: SearchFilters) -> str:
    """The active filters as a phrase ("language: Danish; collection: x"), "" when none."""
    parts = []
    if filters.lang:
        parts.append(f"language: {language_name(filters.lang)}")
    if filters.collections:
        parts.append(f"collection: {', '.join(filters.collections)}")
    for key, value in filters.fields:
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def facts(response: SearchResponse) -> dict[str, object]:
    """The response's facts as JSON, for ``--json`` output."""
    return {
        "query_language": response.query_language,
        "query_languages": {k: round(v, 4) for k, v in response.query_languages.items()},
        "result_languages": response.result_languages,
        "truncated_tokens": None if response.truncation is None else response.truncation.tokens,
        "relevance_calibrated": response.calibrated,
        "likely_answered": response.likely_answered,
    }
