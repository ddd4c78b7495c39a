"""Run labelled questions through the searcher and score the rankings.

The searcher is the one the app and the command line use
(:class:`casesearch.index.search.searcher.Searcher`), with its default settings unless others
are given, so the figures describe what users get. Each question is
searched once per mode for the top ``depth`` cases; every measure is computed from that one
ranking, overall and per language pair (see :mod:`eval.pairs`), and modes are compared with
paired tests (see :mod:`eval.significance`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from casesearch.eval.dataset import QuestionSet, load_questions
from casesearch.eval.metrics import MEASURE_NAMES, PRIMARY, mean_scores, per_query
from casesearch.eval.pairs import OVERALL, pair_qrels
from casesearch.eval.provenance import code_version
from casesearch.eval.significance import compare_modes
from casesearch.index.search.searcher import SEARCH_MODES, QueryError, Searcher, SearchSettings

#: Cases ranked per question: enough for Recall@20. Note that the searcher draws
#: ``max(settings.candidates, 10 * depth)`` chunk candidates per retriever.
DEFAULT_DEPTH = 20


@dataclass
class EvalReport:
    """Everything one evaluation run found; :meth:`to_dict` is the ``report.json`` content.

    Attributes:
        name: what was evaluated (``questions``, a BEIR folder name, ...).
        created: UTC time of the run (ISO 8601).
        config: modes, split, depth, search settings and the question source.
        model_id: the embedding model of the index.
        index: where the index is and its manifest fingerprint, so figures can be tied to it.
        metrics: ``{mode: {pair: {measure: mean, "questions": n}}}``; pair ``all`` is overall.
        significance: paired tests between modes (overall and per pair), as dicts.
        questions: per question: text, language, judgments, and per mode its measures, the
            rank of the first relevant case (None when none is in the top ``depth``) and the
            case ids returned.
        titles: title and language of every case mentioned in ``questions``.
        notices: problems worth reading before the numbers (missing judged cases, ...).
        seconds: wall time per mode.
    """

    name: str
    created: str
    config: dict[str, object]
    model_id: str
    index: dict[str, object]
    metrics: dict[str, dict[str, dict[str, float]]]
    significance: list[dict[str, object]]
    questions: list[dict[str, Any]]
    titles: dict[str, dict[str, str]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def score(self, mode: str, pair: str = OVERALL, measure: str = PRIMARY) -> float:
        """One figure, e.g. ``report.score("hybrid", "da->en", "MRR@10")``."""
        return float(self.metrics[mode][pair][measure])


def question_vectors(searcher: Searcher, questions: QuestionSet) -> dict[str, np.ndarray]:
    """Every question's vector, embedded once in one batch (by question id).

    An evaluation searches each question in several modes, and tuning under dozens of
    settings; the question's vector is the same each time, so it is passed to every search.
    Questions that cannot be searched (empty) are left out and fail in the search itself.
    """
    usable = [q for q in questions.questions if q.text.strip()]
    if not usable:
        return {}
    vectors = searcher.embed_queries([q.text for q in usable])
    return {q.id: v for q, v in zip(usable, vectors, strict=True)}


def rank_questions(
    searcher: Searcher,
    questions: QuestionSet,
    mode: str,
    depth: int,
    *,
    settings: SearchSettings | None = None,
    vectors: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, list[str]], list[str]]:
    """Ranked case ids per question in one mode, and notices for questions that failed.

    Args:
        settings: ranking settings (default: the searcher's).
        vectors: question vectors by id (see :func:`question_vectors`); computed when absent.
    """
    if vectors is None and mode != "bm25":
        vectors = question_vectors(searcher, questions)
    rankings: dict[str, list[str]] = {}
    notices = []
    for question in questions.questions:
        try:
            response = searcher.search(
                question.text,
                depth,
                mode=mode,
                settings=settings,
                vector=(vectors or {}).get(question.id),
                highlight=False,
            )
        except QueryError as exc:
            notices.append(f"{question.id} ({mode}): {exc}")
            rankings[question.id] = []
            continue
        rankings[question.id] = [r.case_id for r in response.results]
    return rankings, notices


def score_rankings(
    questions: QuestionSet,
    rankings: dict[str, list[str]],
    case_lang: dict[str, str],
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, dict[str, float]]]]:
    """Per-question scores overall, and per-question scores within each language pair."""
    overall = per_query(questions.qrels, rankings)
    by_pair = {
        pair: per_query(qrels, rankings)
        for pair, qrels in pair_qrels(questions.questions, questions.qrels, case_lang).items()
    }
    return overall, by_pair


def summarise(
    overall: dict[str, dict[str, float]], by_pair: dict[str, dict[str, dict[str, float]]]
) -> dict[str, dict[str, float]]:
    """Means per pair (``all`` first) with the number of questions behind each."""
    out: dict[str, dict[str, float]] = {
        OVERALL: {**mean_scores(overall), "questions": len(overall)}
    }
    for pair, scores in by_pair.items():
        out[pair] = {**mean_scores(scores), "questions": len(scores)}
    return out


def first_relevant_rank(ranking: Sequence[str], judged: dict[str, int]) -> int | None:
    """1-based rank of the first case judged relevant (grade >= 1), or None."""
    for i, case_id in enumerate(ranking, start=1):
        if judged.get(case_id, 0) >= 1:
            return i
    return None


def run_evaluation(
    searcher: Searcher,
    questions: QuestionSet | Path | str,
    modes: Sequence[str] = SEARCH_MODES,
    split: str = "all",
    *,
    depth: int = DEFAULT_DEPTH,
    name: str | None = None,
    settings: SearchSettings | None = None,
) -> EvalReport:
    """Evaluate ``searcher`` on labelled questions.

    Args:
        searcher: a loaded searcher.
        questions: a loaded set, or a BEIR folder (``queries.jsonl`` + ``qrels/test.tsv``).
        modes: search modes to run side by side (``hybrid``, ``dense``, ``bm25``).
        split: ``tune``, ``test`` or ``all`` (sets without splits only have ``all``).
        depth: cases ranked per question.
        name: label of the run in reports (default: the question set's name).
        settings: the ranking settings evaluated (default: the searcher's).

    Raises:
        ValueError: for an unknown mode or split, or when no question is left to evaluate.
    """
    unknown = [m for m in modes if m not in SEARCH_MODES]
    if unknown or not modes:
        raise ValueError(f"unknown mode(s) {unknown}; use {', '.join(SEARCH_MODES)}")
    qset = questions if isinstance(questions, QuestionSet) else load_questions(Path(questions))
    qset = qset.select(split)
    if not qset.questions:
        raise ValueError(f"no questions in split {split!r} of {qset.name}")

    settings = settings or searcher.settings
    case_info = {c.id: {"title": c.title, "lang": c.lang} for c in searcher.cases}
    case_lang = {cid: info["lang"] for cid, info in case_info.items()}
    notices = []
    judged = {c for r in qset.qrels.values() for c in r}
    missing = sorted(judged - set(case_info))
    if missing:
        notices.append(
            f"{len(missing)} judged case(s) are not in the index and count as misses: "
            + ", ".join(missing[:10])
            + (" ..." if len(missing) > 10 else "")
        )

    metrics: dict[str, dict[str, dict[str, float]]] = {}
    overall_by_mode: dict[str, dict[str, dict[str, float]]] = {}
    pair_by_mode: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    rankings_by_mode: dict[str, dict[str, list[str]]] = {}
    seconds: dict[str, float] = {}
    vectors = question_vectors(searcher, qset)
    for mode in modes:
        t0 = time.perf_counter()
        rankings, failed = rank_questions(
            searcher, qset, mode, depth, settings=settings, vectors=vectors
        )
        seconds[mode] = round(time.perf_counter() - t0, 3)
        notices.extend(failed)
        overall, by_pair = score_rankings(qset, rankings, case_lang)
        metrics[mode] = summarise(overall, by_pair)
        overall_by_mode[mode], pair_by_mode[mode] = overall, by_pair
        rankings_by_mode[mode] = rankings

    unit_of = {q.id: q.need for q in qset.questions if q.need}
    significance = []
    for test in compare_modes(
        {m: {q: s[PRIMARY] for q, s in overall_by_mode[m].items()} for m in modes},
        measure=PRIMARY,
        unit_of=unit_of or None,
    ):
        significance.append({"pair": OVERALL, **test.to_dict()})
    pairs = sorted({p for m in modes for p in pair_by_mode[m]})
    for pair in pairs:
        for test in compare_modes(
            {m: {q: s[PRIMARY] for q, s in pair_by_mode[m].get(pair, {}).items()} for m in modes},
            measure=PRIMARY,
            unit_of=unit_of or None,
        ):
            significance.append({"pair": pair, **test.to_dict()})

    per_question = []
    mentioned: set[str] = set()
    for question in qset.questions:
        judged_q = qset.qrels.get(question.id, {})
        mentioned.update(judged_q)
        modes_of_entry: dict[str, dict[str, object]] = {}
        entry: dict[str, object] = {
            "id": question.id,
            "text": question.text,
            "lang": question.lang,
            "split": question.split,
            "need": question.need,
            "relevant": dict(sorted(judged_q.items(), key=lambda kv: (-kv[1], kv[0]))),
            "modes": modes_of_entry,
        }
        for mode in modes:
            ranking = rankings_by_mode[mode].get(question.id, [])
            mentioned.update(ranking[:3])
            modes_of_entry[mode] = {
                "metrics": overall_by_mode[mode].get(
                    question.id, dict.fromkeys(MEASURE_NAMES, 0.0)
                ),
                "first_relevant_rank": first_relevant_rank(ranking, judged_q),
                "ranking": ranking,
            }
        per_question.append(entry)

    manifest = searcher.manifest
    return EvalReport(
        name=name or qset.name,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        config={
            "modes": list(modes),
            "split": split,
            "depth": depth,
            "questions": len(qset.questions),
            "question_source": qset.folder,
            "settings": asdict(settings),
            "measures": list(MEASURE_NAMES),
            "significance_unit": "need" if unit_of else "question",
            "code": code_version(),
        },
        model_id=manifest.model_id,
        index={
            "folder": str(searcher.folder),
            "corpus_fingerprint": manifest.corpus_fingerprint,
            "cases": manifest.cases,
            "chunks": manifest.chunks,
            "created": manifest.created,
            "languages": manifest.languages,
        },
        metrics=metrics,
        significance=significance,
        questions=per_question,
        titles={c: case_info.get(c, {"title": c, "lang": "unknown"}) for c in sorted(mentioned)},
        notices=notices,
        seconds=seconds,
    )
