"""Answer a question with ranked cases: dense + BM25 candidates, fused, grouped by case.

Load a :class:`Searcher` once per process (model and index stay in memory) and call
:meth:`Searcher.search` for every question; the CLI, the app and the evaluation all use it, so
what is evaluated is what users get. Everything that varies per question is an argument of the
call (settings, filters, a precomputed question vector), never state of the searcher, so one
searcher serves many threads and many configurations at once. Marking each result's best
sentence is a public step of its own (:meth:`Searcher.mark_best_sentences`), so a front end can
show results first and mark them after.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from casesearch.core.collector import collector_paused
from casesearch.core.config import ModelSettings
from casesearch.index.model.embedder import Embedder, load_embedder, model_of_index
from casesearch.index.search.fusion import FusionSettings, fuse
from casesearch.index.search.grouping import group_by_case
from casesearch.index.search.highlight import best_sentences
from casesearch.index.search.query_lang import query_language_probabilities
from casesearch.index.search.relevance import Calibration, load_calibration
from casesearch.index.search.response import (
    FilterFacts,
    SearchFilters,
    SearchResponse,
    SearchResult,
    Truncation,
)
from casesearch.index.storage.build import index_dir
from casesearch.index.storage.dense import (
    DenseIndex,
    use_single_thread,
)
from casesearch.index.storage.lexical import LexicalIndex
from casesearch.index.storage.manifest import Manifest
from casesearch.index.storage.records import ChunkTable
from casesearch.index.storage.sentence_vectors import SentenceVectors
from casesearch.index.storage.snapshot import open_snapshot, read_manifest
from casesearch.ingest.model import Case

SEARCH_MODES = ("hybrid", "dense", "bm25")
#: How "more like this" compares cases: the best pair of chunks (``max``, the default) or the
#: mean of the seed case's chunk vectors against every chunk (``mean``). Measured in
#: eval/RESULTS.md: equal on same-language cases, ``max`` ahead on the few cross-language ones.
SIMILAR_METHODS = ("mean", "max")
#: Most cases one search returns.
MAX_K = 1000

__all__ = [
    "SEARCH_MODES",
    "QueryError",
    "SearchFilters",
    "SearchResponse",
    "SearchResult",
    "SearchSettings",
    "Searcher",
    "top_rows",
]


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


@dataclass(frozen=True)
class SearchSettings:
    """Ranking settings; defaults are the ones chosen by evaluation (see README)."""

    fusion: FusionSettings = field(default_factory=FusionSettings)
    candidates: int = 100
    case_aggregation: str = "max"
    language_centering: bool = True


@dataclass(frozen=True)
class _Scan:
    """What the dense scan of one search needs besides the vector."""

    n: int
    allowed: np.ndarray | None


@dataclass
class _Prepared:
    """A question ready to search: normalised text, whether it was cut, its vector."""

    text: str
    truncation: Truncation | None
    vector: np.ndarray | None


class Searcher:
    """A loaded index and model, ready for many questions (from many threads)."""

    def __init__(
        self,
        folder: Path,
        manifest: Manifest,
        embedder: Embedder,
        dense: DenseIndex,
        lexical: LexicalIndex,
        chunks: ChunkTable,
        cases: list[Case],
        centroids: dict[str, np.ndarray],
        settings: SearchSettings | None = None,
        sentences: SentenceVectors | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.embedder = embedder
        self.dense = dense
        self.lexical = lexical
        self.chunks = chunks
        self.cases = cases
        #: Settings used when a call gives none.
        self.settings = settings or SearchSettings()
        #: Stored sentence vectors for marking best sentences.
        self.sentences = sentences
        #: Turns scores into a probability of answering (None: not calibrated for this model).
        self.calibration = calibration
        # The threads that embed questions and scan for their dense candidates: one per core
        # (at most 4), so concurrent searches (app sessions sharing this searcher) each get
        # one. OpenMP's thread count is per thread, so each is set to one FAISS thread, or
        # FAISS would start a team whose idle workers spin and slow every other stage.
        self._executor = ThreadPoolExecutor(
            max(1, min(4, os.cpu_count() or 1)),
            thread_name_prefix="casesearch-dense",
            initializer=use_single_thread,
        )
        self.chunk_case = chunks.case
        self.chunk_lang = chunks.lang
        self.languages = sorted({c.lang for c in cases} | set(self.chunk_lang.tolist()))
        self.collections = sorted({c.collection for c in cases})
        position = {lang: i for i, lang in enumerate(self.languages)}
        self.chunk_lang_pos = np.asarray(
            [position[str(lang)] for lang in self.chunk_lang.tolist()], dtype=np.int64
        )
        self._case_rows = {c.id: i for i, c in enumerate(cases)}
        self.case_lang = np.asarray([c.lang for c in cases], dtype=object)
        self.case_collection = np.asarray([c.collection for c in cases], dtype=object)
        self.centroid_langs = sorted(centroids)
        self.centroid_matrix = (
            np.stack([centroids[lang] for lang in self.centroid_langs]).astype(np.float32)
            if centroids
            else np.zeros((0, embedder.dim), dtype=np.float32)
        )
        lang_pos = {lang: i for i, lang in enumerate(self.centroid_langs)}
        self.chunk_centroid = np.asarray(
            [lang_pos.get(str(lang), -1) for lang in self.chunk_lang.tolist()], dtype=np.int64
        )

    @classmethod
    def load(
        cls,
        data_dir: Path,
        embedder: Embedder,
        *,
        settings: SearchSettings | None = None,
    ) -> Searcher:
        """Open the index of ``data_dir`` for searching with ``embedder``.

        Raises:
            IndexMissingError: nothing was indexed yet (message says how to build).
            IndexMismatchError: the index was built with another model or format.
            IndexDamagedError: a file of the index cannot be read.
        """
        folder = index_dir(data_dir)
        use_single_thread()
        with collector_paused():
            snapshot = open_snapshot(
                folder, check=lambda m: m.check_model(embedder.model_id, embedder.dim, folder)
            )
        manifest, live, dense = snapshot.manifest, snapshot.live, snapshot.dense
        langs = [str(lang) for lang in live.chunks.lang.tolist()]
        centroids = dense.centroid_map()
        lexical = LexicalIndex(live.postings, langs)
        sentences = SentenceVectors.open(data_dir, manifest.model_id, manifest.dim)
        calibration = load_calibration(data_dir, manifest.model_id)
        return cls(
            folder, manifest, embedder, dense, lexical, live.chunks, live.cases, centroids,
            settings, sentences, calibration,
        )  # fmt: skip

    @classmethod
    def open(
        cls,
        data_dir: Path,
        model: ModelSettings | None = None,
        *,
        settings: SearchSettings | None = None,
    ) -> Searcher:
        """Open the index of ``data_dir`` with the model it was built with.

        The model named in the index's manifest is loaded unless ``model`` names another one
        (which :meth:`load` then refuses with a message if its vectors do not match).
        """
        model = model or ModelSettings()
        manifest = read_manifest(index_dir(data_dir))
        embedder = load_embedder(
            model.model or model_of_index(manifest.model_id),
            data_dir,
            allow_download=model.allow_download,
            backend=model.backend,
        )
        return cls.load(data_dir, embedder, settings=settings)

    # ------------------------------------------------------------------ look-ups
    def case(self, case_id: str) -> Case | None:
        """A case record (title, text, sections, ...) by id."""
        row = self._case_rows.get(case_id)
        return None if row is None else self.cases[row]

    def case_chunks(self, case_id: str) -> np.ndarray:
        """The chunk rows of a case, in text order."""
        row = self._case_rows.get(case_id)
        if row is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.chunk_case == row)

    def field_values(self) -> dict[str, list[str]]:
        """Distinct values of every template field, for filter menus."""
        values: dict[str, set[str]] = {}
        for case in self.cases:
            for key, value in case.fields.items():
                values.setdefault(key, set()).add(value)
        return {k: sorted(v) for k, v in sorted(values.items())}

    def _centroid_offsets(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """``q·μ_lang`` for each chunk row: add it to a centred score to get the cosine."""
        if len(self.centroid_matrix) == 0 or len(rows) == 0:
            return np.zeros(len(rows), dtype=np.float32)
        per_lang = self.centroid_matrix @ qvec
        idx = self.chunk_centroid[rows]
        return np.where(idx >= 0, per_lang[np.maximum(idx, 0)], 0.0).astype(np.float32)

    def _allowed_rows(self, filters: SearchFilters) -> tuple[np.ndarray | None, FilterFacts]:
        """Chunk rows the filters allow (None: all), and how the filters met the index."""
        if not filters.active():
            return None, FilterFacts()
        ok_case = np.ones(len(self.cases), dtype=bool)
        unknown_language = None
        if filters.lang:
            if filters.lang not in self.languages:
                unknown_language = filters.lang
            ok_case &= self.case_lang == filters.lang
        unknown = tuple(c for c in filters.collections if c not in self.collections)
        if filters.collections:
            ok_case &= np.isin(self.case_collection, list(filters.collections))
        for key, needle in filters.fields:
            low = needle.casefold()
            ok_case &= np.asarray(
                [low in c.fields.get(key, "").casefold() for c in self.cases], dtype=bool
            )
        rows = np.flatnonzero(ok_case[self.chunk_case]).astype(np.int64)
        facts = FilterFacts(
            unknown_language=unknown_language,
            languages=tuple(self.languages),
            unknown_collections=unknown,
            nothing_matches=len(rows) == 0,
        )
        return rows, facts

    # ------------------------------------------------------------------ questions
    def _prepare(self, query: str | np.ndarray, vector: np.ndarray | None) -> _Prepared:
        """Normalise a question (or take a bare vector); cut it to what the model reads."""
        if isinstance(query, np.ndarray):
            return _Prepared("", None, np.asarray(query, dtype=np.float32).reshape(-1))
        text = " ".join(str(query or "").split())
        if not text:
            raise QueryError("The question is empty: type a few words about what you look for.")
        limit = max(8, self.embedder.info.max_length - 16)
        cut, n_tokens = self.embedder.truncate(text, limit)
        truncation = Truncation(tokens=n_tokens, kept=limit) if cut != text else None
        return _Prepared(cut, truncation, vector)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Question vectors for ``texts`` (normalised and cut as :meth:`search` does), in one
        batch: for callers that search many questions."""
        prepared = [self._prepare(t, None).text for t in texts]
        return self.embedder.encode_queries(prepared)

    def _embed_and_scan(
        self, text: str, vector: np.ndarray | None, scan: _Scan | None, embedded: threading.Event
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
        """The question's vector (embedded unless given), then its dense candidates.

        Runs on a second thread, so the scan starts the moment the vector is ready instead of
        after language detection and BM25 on the searching thread. ``embedded`` is set once
        the vector is there (or embedding failed), so the searching thread can leave its
        pure-Python work until then.
        """
        timings: dict[str, float] = {}
        try:
            if vector is None:
                t0 = time.perf_counter()
                vector = self.embedder.encode_queries([text])[0]
                timings["embed"] = (time.perf_counter() - t0) * 1000
        finally:
            embedded.set()
        rows = np.zeros(0, dtype=np.int64)
        scores = np.zeros(0, dtype=np.float32)
        if scan is not None:
            t0 = time.perf_counter()
            rows, scores = self.dense.search(vector, scan.n, scan.allowed)
            timings["faiss"] = (time.perf_counter() - t0) * 1000
        return vector, rows, scores, timings

    # ------------------------------------------------------------------ search
    def search(
        self,
        query: str | np.ndarray,
        k: int = 10,
        *,
        mode: str = "hybrid",
        settings: SearchSettings | None = None,
        filters: SearchFilters | None = None,
        vector: np.ndarray | None = None,
        highlight: bool = True,
    ) -> SearchResponse:
        """Rank cases for a question.

        Args:
            query: the question, in any language; or its vector alone (``dense`` mode only).
            k: number of cases to return (1 to :data:`MAX_K`).
            mode: ``hybrid`` (default), ``dense`` or ``bm25``.
            settings: ranking settings (default: the searcher's, i.e. the evaluated ones).
            filters: optional restrictions on the cases.
            vector: the question's vector when the caller has it already (not embedded again).
            highlight: mark the sentence of each excerpt closest to the question.

        Raises:
            QueryError: for an empty question, a bad ``k`` or an unknown mode.
        """
        if mode not in SEARCH_MODES:
            raise QueryError(f"Unknown search mode {mode!r}; use one of {', '.join(SEARCH_MODES)}.")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= MAX_K:
            raise QueryError(f"The number of results must be between 1 and {MAX_K}, not {k!r}.")
        prepared = self._prepare(query, vector)
        if not prepared.text and mode != "dense":
            raise QueryError(
                f"A question given as a vector alone is searched in dense mode, not {mode}."
            )
        return self._search(prepared, int(k), mode, settings or self.settings, filters, highlight)

    def search_batch(
        self,
        queries: Sequence[str],
        k: int = 10,
        *,
        mode: str = "hybrid",
        settings: SearchSettings | None = None,
        filters: SearchFilters | None = None,
        highlight: bool = True,
    ) -> list[SearchResponse | QueryError]:
        """Search many questions; their vectors are computed in one batch.

        A question that cannot be searched gives its :class:`QueryError` in its place, so one
        bad question does not stop the rest.
        """
        prepared: list[_Prepared | QueryError] = []
        for query in queries:
            try:
                prepared.append(self._prepare(query, None))
            except QueryError as exc:
                prepared.append(exc)
        texts = [p.text for p in prepared if isinstance(p, _Prepared)]
        needs_vectors = mode != "bm25" or highlight
        vectors = iter(self.embedder.encode_queries(texts) if needs_vectors and texts else [])
        out: list[SearchResponse | QueryError] = []
        for item in prepared:
            if isinstance(item, QueryError):
                out.append(item)
                continue
            if needs_vectors:
                item.vector = next(vectors)
            try:
                out.append(
                    self.search(
                        item.text,
                        k,
                        mode=mode,
                        settings=settings,
                        filters=filters,
                        vector=item.vector,
                        highlight=highlight,
                    )
                )
            except QueryError as exc:
                out.append(exc)
        return out

    def _search(
        self,
        prepared: _Prepared,
        k: int,
        mode: str,
        settings: SearchSettings,
        filters: SearchFilters | None,
        highlight: bool,
    ) -> SearchResponse:
        timings: dict[str, float] = {}
        text = prepared.text
        allowed, facts = self._allowed_rows(filters or SearchFilters())
        response = SearchResponse(
            query=text, truncation=prepared.truncation, filter_facts=facts, timings_ms=timings
        )
        if self.dense.size == 0 or (allowed is not None and len(allowed) == 0):
            return response

        n_candidates = max(settings.candidates, 10 * k)
        # The question is embedded and its dense candidates found on a second thread (the
        # model and FAISS run outside the GIL) while this one scores BM25 and detects the
        # question's language: on two cores those come for free. Language detection is pure
        # Python, so it waits until the vector is ready: run alongside the model it held the
        # GIL the model's thread needs between its steps (~1 ms per question), while FAISS
        # scans without it.
        pending: Future[tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float]]] | None
        pending = None
        embedded = threading.Event()
        qvec = prepared.vector
        scan = _Scan(n_candidates, allowed) if mode != "bm25" else None
        if scan is not None or (qvec is None and highlight):
            pending = self._executor.submit(self._embed_and_scan, text, qvec, scan, embedded)
        if scan is None:  # BM25 only: no scan to overlap with, the vector is for marking
            embedded.set()

        bm25_all = np.zeros(self.dense.size, dtype=np.float32)
        if mode != "dense":
            t0 = time.perf_counter()
            bm25_all = self.lexical.scores(text)
            if allowed is not None:
                mask = np.zeros(len(bm25_all), dtype=bool)
                mask[allowed] = True
                bm25_all = np.where(mask, bm25_all, 0.0).astype(np.float32)
            timings["bm25"] = (time.perf_counter() - t0) * 1000

        probs: dict[str, float] = {}
        if text:
            t0 = time.perf_counter()
            embedded.wait()
            timings["embed_wait"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            probs = query_language_probabilities(text, self.languages)
            timings["lang"] = (time.perf_counter() - t0) * 1000
        response.query_languages = probs

        rows = np.zeros(0, dtype=np.int64)
        dense_scores = np.zeros(0, dtype=np.float32)
        if pending is not None:
            t0 = time.perf_counter()
            qvec, rows, dense_scores, second = pending.result()
            timings["dense_wait"] = (time.perf_counter() - t0) * 1000
            timings.update(second)
        response.query_vector = qvec

        t0 = time.perf_counter()
        if mode == "dense":
            assert qvec is not None
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
                cand = top_rows(positive, bm25_all[positive], n_candidates)
                fused = bm25_all[cand]
                sims = np.full(len(cand), np.nan, dtype=np.float32)
            else:
                assert qvec is not None
                gated = bm25_all[positive] * gate_all[self.chunk_lang_pos[positive]]
                top = top_rows(positive, gated, n_candidates)
                cand = np.union1d(rows, top)
                known = dict(zip(rows.tolist(), dense_scores.tolist(), strict=True))
                extra = np.asarray([r for r in cand.tolist() if r not in known], dtype=np.int64)
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
        for rank, group in enumerate(groups, start=1):
            row = self.chunks.row(group.best_row)
            case = self.cases[row.case]
            sim = sim_of.get(group.best_row, float("nan"))
            response.results.append(
                SearchResult(
                    rank=rank,
                    case_id=case.id,
                    title=case.title,
                    lang=case.lang,
                    score=float(group.score),
                    similarity=float(sim),
                    excerpt=case.text[row.start : row.end],
                    highlight=None,
                    section=row.section,
                    source=case.source,
                    collection=case.collection,
                    url=case.url,
                    chunk_id=row.id,
                    chunk_start=row.start,
                    chunk_end=row.end,
                    matched_chunks=group.matched,
                    bm25=float(bm25_all[group.best_row]) if mode != "dense" else float("nan"),
                    fields=dict(case.fields),
                )
            )
        if self.calibration is not None:
            self.calibration.apply(response, mode)
        if highlight:
            self.mark_best_sentences(response)
        return response

    def similar_cases(
        self,
        case_id: str,
        k: int = 10,
        *,
        filters: SearchFilters | None = None,
        method: str = "max",
    ) -> SearchResponse:
        """The cases closest in content to case ``case_id`` (itself excluded), in any language.

        Compares the case's language-centred chunk vectors with every other chunk, so a
        Danish case finds English cases about the same thing as readily as Danish ones. A
        case scores by its closest chunk, which becomes the result's excerpt; ``similarity``
        is that chunk's centred score. The response's ``query`` is the seed case's title.

        Args:
            case_id: the case to start from.
            k: number of cases to return (1 to :data:`MAX_K`).
            filters: optional restrictions on the cases returned.
            method: ``max`` (the best pair of chunks) or ``mean`` (the mean of the case's
                chunk vectors, one vector search instead of one per chunk).

        Raises:
            QueryError: for an unknown case, a bad ``k`` or an unknown method.
        """
        if method not in SIMILAR_METHODS:
            raise QueryError(f"Unknown method {method!r}; use one of {', '.join(SIMILAR_METHODS)}.")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= MAX_K:
            raise QueryError(f"The number of results must be between 1 and {MAX_K}, not {k!r}.")
        seed = self.case(case_id)
        seed_rows = self.case_chunks(case_id)
        if seed is None or len(seed_rows) == 0:
            raise QueryError(f"No case {case_id!r} in this index.")
        allowed, facts = self._allowed_rows(filters or SearchFilters())
        response = SearchResponse(query=seed.title, filter_facts=facts)
        own = self._case_rows[case_id]
        others = np.flatnonzero(self.chunk_case != own).astype(np.int64)
        if allowed is not None:
            others = np.intersect1d(others, allowed)
        if len(others) == 0:
            return response
        seed_vectors = self.dense.reconstruct(seed_rows).astype(np.float32)
        n_candidates = max(self.settings.candidates, 10 * int(k))
        if method == "mean":
            centre_vector = seed_vectors.mean(axis=0)
            centre_vector /= max(float(np.linalg.norm(centre_vector)), 1e-12)
            rows, scores = self.dense.search(centre_vector, n_candidates, others)
        else:
            found: dict[int, float] = {}
            for vector in seed_vectors:
                hit_rows, hit_scores = self.dense.search(vector, n_candidates, others)
                for row, score in zip(hit_rows.tolist(), hit_scores.tolist(), strict=True):
                    found[row] = max(found.get(row, -np.inf), score)
            rows = np.asarray(list(found), dtype=np.int64)
            scores = np.asarray(list(found.values()), dtype=np.float32)
        groups = group_by_case(rows, scores, self.chunk_case, int(k))
        for rank, group in enumerate(groups, start=1):
            row = self.chunks.row(group.best_row)
            case = self.cases[row.case]
            response.results.append(
                SearchResult(
                    rank=rank,
                    case_id=case.id,
                    title=case.title,
                    lang=case.lang,
                    score=float(group.score),
                    similarity=float(group.score),
                    excerpt=case.text[row.start : row.end],
                    highlight=None,
                    section=row.section,
                    source=case.source,
                    collection=case.collection,
                    url=case.url,
                    chunk_id=row.id,
                    chunk_start=row.start,
                    chunk_end=row.end,
                    matched_chunks=group.matched,
                    fields=dict(case.fields),
                )
            )
        response.marked = True  # there is no question whose closest sentence could be marked
        return response

    def chunk_by_id(self, chunk_id: str) -> int | None:
        """The row of a chunk by its id (None if it is not in the index)."""
        ids = self.chunks.ids
        hits = np.flatnonzero(ids == chunk_id)
        return int(hits[0]) if len(hits) else None

    def mark_best_sentences(self, response: SearchResponse) -> SearchResponse:
        """Mark the sentence of every result's excerpt closest to the question, in place.

        Uses the response's question vector (embedding the question only if the search had
        none, as in BM25 mode); sentence vectors come from the store where prepared.
        """
        if response.marked or not response.results:
            response.marked = True
            return response
        t0 = time.perf_counter()
        if response.query_vector is None:
            response.query_vector = self.embedder.encode_queries([response.query])[0]
        counts: dict[str, float] = {}
        excerpts = [r.excerpt for r in response.results]
        spans = best_sentences(
            self.embedder, response.query_vector, excerpts, self.sentences, counts
        )
        for result, span in zip(response.results, spans, strict=True):
            result.highlight = span
        response.highlight_counts = counts
        response.marked = True
        response.timings_ms["highlight"] = (time.perf_counter() - t0) * 1000
        return response
