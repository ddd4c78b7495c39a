"""Evaluation reports on disk: ``report.md`` to read, ``report.json`` to load, ``chart.png``.

Every run gets its own folder ``<data_dir>/eval-reports/<UTC timestamp>-<name>/`` so results
can be compared over time, and ``<data_dir>/eval-reports/latest.json`` names the newest one,
which is what the app's Evaluation page shows (:func:`load_latest`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from casesearch.core.atomic import atomic_write_text
from casesearch.eval.chart import draw_chart
from casesearch.eval.metrics import MEASURE_NAMES, PRIMARY
from casesearch.eval.pairs import OVERALL
from casesearch.eval.runner import EvalReport

REPORTS_DIRNAME = "eval-reports"
LATEST = "latest.json"
REPORT_JSON = "report.json"
REPORT_MD = "report.md"
CHART = "chart.png"

PAIRS_NOTE = (
    "Language pairs: a question counts in pair q->c for every language c among its relevant "
    "cases (grade >= 1), scored against the relevant cases in language c only (the ranking is "
    "the one the user saw). Overall figures use all judgments, each question once. nDCG uses "
    "the grades as linear gains (trec_eval); the other measures count grade >= 1 as relevant. "
    "Significance: paired t-test and Wilcoxon signed-rank on nDCG@10, per information need when "
    "questions name one (the mean over its questions), else per question."
)


def reports_root(data_dir: Path) -> Path:
    return Path(data_dir) / REPORTS_DIRNAME


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "eval"


def default_report_dir(data_dir: Path, report: EvalReport) -> Path:
    """``<data_dir>/eval-reports/<YYYYmmddTHHMMSSZ>-<name>`` (a numbered suffix if taken)."""
    stamp = datetime.fromisoformat(report.created).strftime("%Y%m%dT%H%M%SZ")
    base = reports_root(data_dir) / f"{stamp}-{_slug(report.name)}"
    folder, n = base, 2
    while folder.exists():
        folder = base.with_name(f"{base.name}-{n}")
        n += 1
    return folder


def _f(value: float | None) -> str:
    return "–" if value is None else f"{float(value):.3f}"


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    v = float(value)
    return f"{v:.2g}" if v < 0.001 else f"{v:.3f}"


def worst_questions(report: Mapping[str, Any], mode: str, n: int = 10) -> list[dict[str, Any]]:
    """The ``n`` questions with the lowest nDCG@10 in ``mode`` (ties: later first relevant)."""
    rows = []
    for q in report["questions"]:
        m = q["modes"].get(mode)
        if m is None:
            continue
        rank = m["first_relevant_rank"]
        rows.append((m["metrics"][PRIMARY], -(rank or 10**6), q["id"], q))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [r[3] for r in rows[:n]]


def render_markdown(report: Mapping[str, Any], worst: int = 10) -> str:
    """The human-readable report (tables per mode and language pair, tests, failures)."""
    config = report["config"]
    metrics = report["metrics"]
    index = report["index"]
    titles = report.get("titles", {})
    modes = list(metrics)
    lines = [
        f"# Retrieval evaluation: {report['name']}",
        "",
        f"- date: {report['created']}",
        f"- model: `{report['model_id']}`",
        f"- index: `{index['folder']}` (corpus fingerprint `{index['corpus_fingerprint']}`, "
        f"{index['cases']} cases, {index['chunks']} chunks)",
        f"- questions: {config['questions']} (split `{config['split']}`) from "
        f"`{config['question_source']}`",
        f"- ranking depth: {config['depth']} cases; settings: `{json.dumps(config['settings'])}`",
    ]
    code = config.get("code") or {}
    if code.get("commit"):
        changed = code.get("modified") or []
        lines.append(
            f"- code: commit `{str(code['commit'])[:12]}`"
            + (f", with uncommitted changes to {', '.join(changed)}" if changed else "")
        )
    lines.append("")
    for notice in report.get("notices", []):
        lines.append(f"> note: {notice}")
    if report.get("notices"):
        lines.append("")

    pairs: list[str] = []
    for mode in modes:
        pairs.extend(p for p in metrics[mode] if p not in pairs)
    lines += ["## nDCG@10 by mode and language pair", ""]
    lines.append("| pair | n | " + " | ".join(modes) + " |")
    lines.append("|---|---:|" + "---:|" * len(modes))
    for pair in pairs:
        n = next(int(metrics[m][pair]["questions"]) for m in modes if pair in metrics[m])
        cells = [_f(metrics[m].get(pair, {}).get(PRIMARY)) for m in modes]
        lines.append(f"| {pair} | {n} | " + " | ".join(cells) + " |")
    lines.append("")

    for mode in modes:
        lines += [f"## {mode}", ""]
        lines.append("| pair | n | " + " | ".join(MEASURE_NAMES) + " |")
        lines.append("|---|---:|" + "---:|" * len(MEASURE_NAMES))
        for pair, values in metrics[mode].items():
            cells = [_f(values.get(name)) for name in MEASURE_NAMES]
            lines.append(f"| {pair} | {int(values['questions'])} | " + " | ".join(cells) + " |")
        lines.append("")

    tests = report.get("significance", [])
    if tests:
        lines += [
            f"## Paired tests on {PRIMARY}",
            "",
            "| pair | a vs b | units | mean a | mean b | a better / worse / tied | t-test p "
            "| Wilcoxon p |",
            "|---|---|---:|---:|---:|---|---:|---:|",
        ]
        for t in tests:
            lines.append(
                f"| {t['pair']} | {t['a']} vs {t['b']} | {t['units']} {t['unit']}s "
                f"| {_f(t['mean_a'])} | {_f(t['mean_b'])} | {t['wins']} / {t['losses']} / "
                f"{t['ties']} | {_p(t['t_p'])} | {_p(t['wilcoxon_p'])} |"
            )
        lines.append("")

    focus = "hybrid" if "hybrid" in modes else modes[0]
    lines += [f"## Worst questions ({focus}, by {PRIMARY})", ""]
    for q in worst_questions(report, focus, worst):
        m = q["modes"][focus]
        rank = m["first_relevant_rank"]
        lines.append(
            f"- **{q['id']}** [{q['lang']}] {q['text']} — {PRIMARY} "
            f"{m['metrics'][PRIMARY]:.3f}, first relevant at "
            f"{rank if rank else 'none in top ' + str(config['depth'])}"
        )
        returned = []
        for i, cid in enumerate(m["ranking"][:3], start=1):
            grade = q["relevant"].get(cid, 0)
            info = titles.get(cid, {"title": cid, "lang": "?"})
            returned.append(f"{i}. {info['title']} [{info['lang']}] (grade {grade})")
        lines.append("  - returned: " + ("; ".join(returned) or "nothing"))
        wanted = []
        for cid, grade in list(q["relevant"].items())[:5]:
            info = titles.get(cid, {"title": cid, "lang": "?"})
            wanted.append(f"{info['title']} [{info['lang']}] (grade {grade})")
        more = len(q["relevant"]) - len(wanted)
        lines.append("  - relevant: " + "; ".join(wanted) + (f"; +{more} more" if more > 0 else ""))
    lines += ["", "## How to read this", "", PAIRS_NOTE, ""]
    return "\n".join(lines)


def write_report(
    report: EvalReport,
    *,
    data_dir: Path | None = None,
    out_dir: Path | None = None,
    update_latest: bool = True,
) -> Path:
    """Write report.json, report.md and chart.png; return the folder.

    Args:
        report: the evaluation.
        data_dir: the data directory; reports go under its ``eval-reports/`` and
            ``latest.json`` there is pointed at this one.
        out_dir: write here instead of a new timestamped folder.
        update_latest: set False for intermediate runs (tuning grids) that should not
            replace what the app shows.

    Raises:
        ValueError: when neither ``data_dir`` nor ``out_dir`` is given.
    """
    if out_dir is None:
        if data_dir is None:
            raise ValueError("give data_dir or out_dir")
        out_dir = default_report_dir(data_dir, report)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = report.to_dict()
    atomic_write_text(out_dir / REPORT_JSON, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    atomic_write_text(out_dir / REPORT_MD, render_markdown(data))
    draw_chart(report.metrics, out_dir / CHART, title=f"{report.name}: {PRIMARY}")
    if data_dir is not None and update_latest:
        root = reports_root(data_dir)
        root.mkdir(parents=True, exist_ok=True)
        pointer = {
            "report": str(out_dir.resolve()),
            "name": report.name,
            "created": report.created,
            "overall": {mode: values[OVERALL] for mode, values in report.metrics.items()},
        }
        atomic_write_text(root / LATEST, json.dumps(pointer, ensure_ascii=False, indent=1) + "\n")
    return out_dir


def load_latest(data_dir: Path) -> dict | None:
    """The newest report's ``report.json`` content, with ``report_dir`` added; None if none.

    A pointer to a folder that has since been removed also gives None, so the caller only has
    to handle "no report yet".
    """
    pointer_path = reports_root(data_dir) / LATEST
    try:
        pointer = json.loads(pointer_path.read_text(encoding="utf-8"))
        folder = Path(pointer["report"])
        data = json.loads((folder / REPORT_JSON).read_text(encoding="utf-8"))
    except (OSError, KeyError, TypeError, json.JSONDecodeError):
        return None
    data["report_dir"] = str(folder)
    data["chart"] = str(folder / CHART) if (folder / CHART).exists() else None
    return data
