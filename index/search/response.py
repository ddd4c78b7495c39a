"""What a search returns: ranked cases, plus facts about the search for the user.

The searcher states facts (the question's likely language, the languages among the results, a
question cut to the model's length, filter values the index does not know); each front end
words them in its own language (:mod:`casesearch.cli.wording`, the app's messages), so no
caller ever parses a sentence the searcher wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: A question's most likely language counts as known from this probability on.
CONFIDENT_LANGUAGE = 0.6


@dataclass(frozen=True)
class SearchFilters:
    """Restrict results to cases with these properties; empty means no restriction.

    Frozen and hashable, so a filter can key a cache. Lists and dicts given to the
    constructor are normalised to sorted tuples.

    Attributes:
        lang: the case's language code, e.g. ``"da"``.
        collections: allowed collections (folder or multi-case file of the source).
        fields: template fields that must contain the given text (case-insensitive), as
            ``(key, text)`` pairs, e.g. ``(("country_region", "copenhagen"),)``.
    """

    lang: str | None = None
    collections: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        fields = self.fields.items() if isinstance(self.fields, dict) else self.fields or ()
        object.__setattr__(self, "lang", self.lang or None)
        object.__setattr__(self, "collections", tuple(sorted(set(self.collections or ()))))
        object.__setattr__(self, "fields", tuple(sorted((str(k), str(v)) for k, v in fields)))

    def active(self) -> bool:
        return bool(self.lang or self.collections or self.fields)


@dataclass(frozen=True)
class FilterFacts:
    """How the filters met the index.

    Attributes:
        unknown_language: the filtered language when no case has it.
        languages: the languages the index has (for a message that offers them).
        unknown_collections: filtered collections the index does not have.
        nothing_matches: no case passes the filters.
    """

    unknown_language: str | None = None
    languages: tuple[str, ...] = ()
    unknown_collections: tuple[str, ...] = ()
    nothing_matches: bool = False


@dataclass(frozen=True)
class Truncation:
    """The question was longer than the model reads: ``tokens`` long, first ``kept`` used."""

    tokens: int
    kept: int


@dataclass
class SearchResult:
    """One case in the ranked list, with the passage that matched it best.

    ``score`` is the fused score the ranking used; ``similarity`` the cosine of question and
    passage (NaN in BM25 mode); ``bm25`` the passage's BM25 score (NaN in dense mode).
    """

    rank: int
    case_id: str
    title: str
    lang: str
    score: float
    similarity: float
    excerpt: str
    highlight: tuple[int, int] | None
    section: str | None
    source: str
    collection: str
    url: str | None
    chunk_id: str
    chunk_start: int
    chunk_end: int
    matched_chunks: int
    bm25: float = float("nan")
    fields: dict[str, str] = field(default_factory=dict)
    #: Probability that the case answers the question (None: no calibration for this model).
    relevance: float | None = None
    #: ``strong`` / ``good`` / ``weak``, from ``relevance`` (None without calibration).
    match: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "case_id": self.case_id,
            "title": self.title,
            "lang": self.lang,
            "score": round(self.score, 6),
            "similarity": round(self.similarity, 6),
            "excerpt": self.excerpt,
            "highlight": list(self.highlight) if self.highlight else None,
            "section": self.section,
            "source": self.source,
            "collection": self.collection,
            "url": self.url,
            "chunk_id": self.chunk_id,
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "match": self.match,
        }


@dataclass
class SearchResponse:
    """Ranked results and the facts a front end may tell the user about them."""

    query: str
    results: list[SearchResult] = field(default_factory=list)
    #: Probability that the question is written in each corpus language.
    query_languages: dict[str, float] = field(default_factory=dict)
    truncation: Truncation | None = None
    filter_facts: FilterFacts | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: Sentences looked at and embedded while marking (0 embedded: all were stored).
    highlight_counts: dict[str, float] = field(default_factory=dict)
    #: The question's embedding (None in ``bm25`` mode without marking), so that marking
    #: best sentences later (as the app does after showing results) need not embed it again.
    query_vector: np.ndarray | None = None
    #: Whether the best sentences of the results have been marked.
    marked: bool = False
    #: Whether the results carry a calibrated relevance (see ``relevance.py``).
    calibrated: bool = False

    @property
    def likely_answered(self) -> bool | None:
        """Whether any result is likely to answer the question (None: not calibrated).

        False means every result is a weak match: the list holds the closest cases, not
        answers, and a front end should say so.
        """
        if not self.calibrated:
            return None
        return any(r.match in ("strong", "good") for r in self.results)

    @property
    def query_language(self) -> str | None:
        """The question's language when detection is confident, else None."""
        if not self.query_languages:
            return None
        lang = max(self.query_languages, key=lambda k: self.query_languages[k])
        return lang if self.query_languages[lang] >= CONFIDENT_LANGUAGE else None

    @property
    def result_languages(self) -> dict[str, int]:
        """How many results are written in each language."""
        out: dict[str, int] = {}
        for r in self.results:
            out[r.lang] = out.get(r.lang, 0) + 1
        return out

    @property
    def other_languages(self) -> list[str]:
        """Languages among the results other than the question's (when that is known)."""
        qlang = self.query_language
        if qlang is None:
            return []
        return sorted(lang for lang in self.result_languages if lang not in (qlang, "unknown"))
