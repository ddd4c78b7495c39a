"""Choosing search settings on the tune split, and checking the choice on held-out data.

Fusion and grouping settings (fusion method, BM25 weight, RRF k, case aggregation, candidate
pool) change only how already-computed scores are combined, so the loaded searcher is reused
and each setting is passed to its searches: no re-embedding, and every question is embedded
once (:func:`casesearch.eval.runner.question_vectors`). The grid is scored on the ``tune``
split only; the winner is then reported on the ``test`` split and on the shared BEIR sets,
next to the defaults, so a setting that merely fits the tune questions shows up as no gain
elsewhere. Chunk size changes the
passages themselves, so ``--chunk-words`` re-ingests and re-embeds the bundled corpus per size
(cached per size under ``<data_dir>/eval-cache``).

Run it as ``casesearch eval --tune``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casesearch.core.atomic import atomic_write_text
from casesearch.core.config import DEFAULT_CORPUS
from casesearch.eval.dataset import QuestionSet, load_questions
from casesearch.eval.metrics import MEASURE_NAMES, PRIMARY, mean_scores, per_query
from casesearch.eval.pairs import OVERALL
from casesearch.eval.runner import (
    DEFAULT_DEPTH,
    EvalReport,
    question_vectors,
    rank_questions,
    run_evaluation,
)
from casesearch.eval.significance import paired_test
from casesearch.eval.sources import has_index, own_index
from casesearch.index.model.embedder import Embedder
from casesearch.index.search.fusion import FusionSettings
from casesearch.index.search.searcher import Searcher, SearchSettings
from casesearch.index.update import UpdateOptions, update_index
from casesearch.ingest.options import IngestOptions

TUNED_MODE = "hybrid"


def settings_grid(
    *,
    weights: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5),
    rrf_ks: Sequence[int] = (10, 30, 60, 100),
    aggregations: Sequence[str] = ("max", "max_plus"),
    candidates: Sequence[int] = (100, 300),
    centering: Sequence[bool] = (True, False),
) -> list[SearchSettings]:
    """Every combination of the given values (min-max fusion by weight, RRF by k).

    The searcher draws ``max(candidates, 10 * depth)`` chunks per retriever, so at the default
    depth of 20 only pools above 200 differ from the default of 100. ``centering`` switches
    language-centred dense scores, where the searcher has them.
    """
    fusions = [FusionSettings("minmax", w, 60) for w in weights]
    fusions += [FusionSettings("rrf", 0.3, k) for k in rrf_ks]
    grid = [
        SearchSettings(fusion=f, candidates=c, case_aggregation=a)
        for f in fusions
        for a in aggregations
        for c in candidates
    ]
    if "language_centering" not in {f.name for f in fields(SearchSettings)}:
        return grid
    return [replace(s, language_centering=flag) for flag in centering for s in grid]


def describe(settings: SearchSettings) -> str:
    """Short label such as ``minmax w=0.3 max c=100``."""
    f = settings.fusion
    knob = f"w={f.bm25_weight:g}" if f.method == "minmax" else f"k={f.rrf_k}"
    label = f"{f.method} {knob} {settings.case_aggregation} c={settings.candidates}"
    centred = getattr(settings, "language_centering", None)
    return label if centred is None else f"{label} {'centred' if centred else 'raw'}"


@dataclass(frozen=True)
class GridPoint:
    """One setting's score on the tuning questions."""

    settings: SearchSettings
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": describe(self.settings),
            "settings": asdict(self.settings),
            "scores": self.scores,
        }


def score_grid(
    searcher: Searcher,
    questions: QuestionSet,
    grid: Sequence[SearchSettings],
    *,
    mode: str = TUNED_MODE,
    depth: int = DEFAULT_DEPTH,
    default: SearchSettings | None = None,
) -> list[GridPoint]:
    """Mean measures of every setting on ``questions``, best ``nDCG@10`` first.

    Ties keep the default setting ahead (no change without evidence), then grid order.
    """
    default = default or SearchSettings()
    vectors = question_vectors(searcher, questions)
    points: list[tuple[float, int, int, GridPoint]] = []
    for order, settings in enumerate(grid):
        rankings, _ = rank_questions(
            searcher, questions, mode, depth, settings=settings, vectors=vectors
        )
        scores = mean_scores(per_query(questions.qrels, rankings))
        key = round(-scores[PRIMARY], 9)
        points.append((key, 0 if settings == default else 1, order, GridPoint(settings, scores)))
    points.sort(key=lambda p: p[:3])
    return [p[3] for p in points]


def before_after(before: EvalReport, after: EvalReport, mode: str = TUNED_MODE) -> dict[str, Any]:
    """Per pair: default vs chosen figures, plus a paired test on nDCG@10 overall."""
    rows = {}
    for pair, values in before.metrics[mode].items():
        new = after.metrics[mode].get(pair, {})
        rows[pair] = {
            "questions": int(values["questions"]),
            **{f"{m}_before": values[m] for m in MEASURE_NAMES},
            **{f"{m}_after": new.get(m) for m in MEASURE_NAMES},
        }

    def per_q(report: EvalReport) -> dict[str, float]:
        return {q["id"]: q["modes"][mode]["metrics"][PRIMARY] for q in report.questions}

    unit_of = {q["id"]: q["need"] for q in before.questions if q.get("need")}
    test = paired_test(
        "chosen", "default", per_q(after), per_q(before), measure=PRIMARY, unit_of=unit_of or None
    )
    return {"pairs": rows, "test": test.to_dict()}


def _chunk_options(words: int) -> IngestOptions:
    # Keep the default ratio of hard limit to target (200 / 150).
    return IngestOptions(chunk_words=words, max_chunk_words=round(words * 4 / 3))


def chunk_size_index(data_dir: Path, embedder: Embedder, words: int, corpus: Path) -> Path:
    """A data directory with the bundled corpus ingested at ``words`` per chunk (cached)."""
    options = _chunk_options(words)
    digest = hashlib.sha256()
    for path in sorted(Path(corpus).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    digest.update(f"{embedder.model_id}\x00{options.fingerprint()}".encode())
    target = Path(data_dir) / "eval-cache" / f"chunks-{words}-{digest.hexdigest()[:12]}"
    if not has_index(target):
        target.mkdir(parents=True, exist_ok=True)
        update_index(
            [Path(corpus)],
            target,
            embedder,
            options=UpdateOptions(ingest=options, sentences=False),
        )
    return target


def render_tuning(result: dict[str, Any], top: int = 12) -> str:
    """Markdown summary of a tuning run."""
    lines = [
        "# Tuning search settings",
        "",
        f"- date: {result['created']}",
        f"- model: `{result['model_id']}`",
        f"- objective: mean {PRIMARY} of `{TUNED_MODE}` on the `tune` split "
        f"({result['tune_questions']} questions), depth {result['depth']}",
        f"- default: `{result['default']}`; chosen: `{result['chosen']}`",
        "",
        f"## Grid on the tune split (best {top} of {len(result['grid'])})",
        "",
        "| settings | " + " | ".join(MEASURE_NAMES) + " |",
        "|---|" + "---:|" * len(MEASURE_NAMES),
    ]
    for point in result["grid"][:top]:
        cells = " | ".join(f"{point['scores'][m]:.3f}" for m in MEASURE_NAMES)
        lines.append(f"| {point['label']} | {cells} |")
    default_row = result.get("default_tune_scores")
    if default_row:
        cells = " | ".join(f"{default_row[m]:.3f}" for m in MEASURE_NAMES)
        lines.append(f"| default ({result['default']}) | {cells} |")
    lines.append("")

    def table(title: str, block: dict) -> None:
        t = block["test"]
        lines.extend(
            [
                f"## {title}",
                "",
                "| pair | n | nDCG@10 default | nDCG@10 chosen | MRR@10 default | MRR@10 chosen "
                "| R@10 default | R@10 chosen |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
        )
        for pair, row in block["pairs"].items():
            lines.append(
                f"| {pair} | {row['questions']} | {row['nDCG@10_before']:.3f} | "
                f"{row['nDCG@10_after']:.3f} | {row['MRR@10_before']:.3f} | "
                f"{row['MRR@10_after']:.3f} | {row['R@10_before']:.3f} | {row['R@10_after']:.3f} |"
            )
        p_t = "n/a" if t["t_p"] is None else f"{t['t_p']:.3g}"
        p_w = "n/a" if t["wilcoxon_p"] is None else f"{t['wilcoxon_p']:.3g}"
        lines.extend(
            [
                "",
                f"Chosen vs default, {t['units']} {t['unit']}s: better {t['wins']}, worse "
                f"{t['losses']}, tied {t['ties']}; paired t-test p={p_t}, Wilcoxon p={p_w}.",
                "",
            ]
        )

    table("Test split (held out): hybrid, default vs chosen", result["test"])
    for name, block in result.get("shared", {}).items():
        table(f"Shared set {name}: hybrid, default vs chosen", block)
    chunks = result.get("chunk_words")
    if chunks:
        lines.extend(
            [
                "## Chunk size (bundled corpus re-ingested per size; default settings)",
                "",
                "| words per chunk | chunks | tune nDCG@10 hybrid | tune nDCG@10 dense "
                "| test nDCG@10 hybrid | test nDCG@10 dense |",
                "|---:|---:|---:|---:|---:|---:|",
            ]
        )
        for row in chunks:
            lines.append(
                f"| {row['words']} | {row['chunks']} | {row['tune_hybrid']:.3f} | "
                f"{row['tune_dense']:.3f} | {row['test_hybrid']:.3f} | {row['test_dense']:.3f} |"
            )
        lines.append("")
    return "\n".join(lines)


def tune(
    searcher: Searcher,
    questions: QuestionSet,
    *,
    grid: Sequence[SearchSettings] | None = None,
    depth: int = DEFAULT_DEPTH,
    shared: Sequence[tuple[str, Searcher, QuestionSet]] = (),
) -> dict[str, Any]:
    """Score the grid on the tune split, then compare the winner with the default elsewhere.

    Args:
        searcher: the searcher over the labelled questions' corpus.
        questions: the full question set (both splits; only ``tune`` is used to choose).
        grid: settings to try (default :func:`settings_grid`).
        depth: cases ranked per question.
        shared: ``(name, searcher, questions)`` of other sets to report before/after on.

    Returns:
        A JSON-ready summary (see :func:`render_tuning`).
    """
    default = SearchSettings()
    grid = list(grid or settings_grid())
    if default not in grid:
        grid.append(default)
    tune_set = questions.select("tune")
    points = score_grid(searcher, tune_set, grid, depth=depth, default=default)
    chosen = points[0].settings
    default_scores = next(p.scores for p in points if p.settings == default)
    before = run_evaluation(
        searcher, questions, [TUNED_MODE], "test", depth=depth, settings=default
    )
    after = run_evaluation(searcher, questions, [TUNED_MODE], "test", depth=depth, settings=chosen)
    result: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_id": searcher.manifest.model_id,
        "depth": depth,
        "tune_questions": len(tune_set.questions),
        "default": describe(default),
        "chosen": describe(chosen),
        "chosen_settings": asdict(chosen),
        "default_tune_scores": default_scores,
        "grid": [p.to_dict() for p in points],
        "test": before_after(before, after),
        "shared": {},
    }
    for name, other, qset in shared:
        b = run_evaluation(other, qset, [TUNED_MODE], "all", depth=depth, settings=default)
        a = run_evaluation(other, qset, [TUNED_MODE], "all", depth=depth, settings=chosen)
        result["shared"][name] = before_after(b, a)
    return result


def chunk_size_study(
    data_dir: Path, embedder: Embedder, questions: QuestionSet, sizes: Sequence[int], depth: int
) -> list[dict[str, Any]]:
    """Tune/test nDCG@10 (hybrid and dense, default settings) per chunk size."""
    rows = []
    for words in sizes:
        folder = chunk_size_index(data_dir, embedder, words, DEFAULT_CORPUS)
        searcher = Searcher.load(folder, embedder)
        row: dict[str, Any] = {"words": words, "chunks": searcher.manifest.chunks}
        for split in ("tune", "test"):
            report = run_evaluation(searcher, questions, ["hybrid", "dense"], split, depth=depth)
            row[f"{split}_hybrid"] = report.score("hybrid", OVERALL)
            row[f"{split}_dense"] = report.score("dense", OVERALL)
        rows.append(row)
    return rows


def run_tuning(
    data_dir: Path,
    embedder: Embedder,
    questions_dir: Path,
    *,
    shared_folders: Sequence[Path] = (),
    chunk_sizes: Sequence[int] = (),
    depth: int = DEFAULT_DEPTH,
    out: Path | None = None,
) -> tuple[dict[str, Any], Path]:
    """Grid on the tune split, held-out check, shared sets, optional chunk sizes.

    Returns:
        The result (see :func:`render_tuning`) and the folder holding ``tuning.md`` and
        ``tuning.json``.
    """
    from casesearch.eval.beir import load_beir_questions, main_languages, prepare_beir_index
    from casesearch.eval.report import reports_root

    own_index(data_dir, embedder)
    searcher = Searcher.load(data_dir, embedder)
    questions = load_questions(questions_dir)
    shared = []
    for folder in shared_folders:
        other = Searcher.load(prepare_beir_index(folder, data_dir, embedder), embedder)
        languages = main_languages([c.lang for c in other.cases])
        shared.append((folder.name, other, load_beir_questions(folder, languages)))
    result = tune(searcher, questions, depth=depth, shared=shared)
    if chunk_sizes:
        result["chunk_words"] = chunk_size_study(data_dir, embedder, questions, chunk_sizes, depth)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = out or reports_root(data_dir) / f"{stamp}-tuning"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "tuning.json", json.dumps(result, indent=1, default=str) + "\n")
    atomic_write_text(folder / "tuning.md", render_tuning(result))
    return result, folder
