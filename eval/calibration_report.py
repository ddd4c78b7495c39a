"""The calibration's report: figures per pair, the reliability table and diagram, verdicts.

Written next to the evaluation reports (``<data-dir>/eval-reports/calibration-<time>/``) as
``calibration.md``, ``calibration.json`` (the figures) and ``reliability.png``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in tests

import matplotlib.pyplot as plt  # the backend must be chosen first

from casesearch.core.atomic import atomic_write_text
from casesearch.eval.calibration import CalibrationRun
from casesearch.index.search.relevance import GOOD, STRONG


def _f(value: object, digits: int = 3) -> str:
    if not isinstance(value, int | float) or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def render_calibration(run: CalibrationRun) -> str:
    """The report as Markdown."""
    fitted = run.calibration.fitted_on
    lines = [
        "# Relevance calibration",
        "",
        f"Fitted on the `{fitted.get('split')}` split of `{fitted.get('questions')}` "
        f"({fitted.get('questions_fitted')} questions, {fitted.get('unanswerable_fitted')} of "
        f"them unanswerable), top {fitted.get('cases_per_question')} cases each; model "
        f"`{run.calibration.model_id}`. Checked on the held-out split below. A result is "
        f"*strong* from {STRONG:.0%} probability of answering, *good* from {GOOD:.0%}, else "
        "*weak*; a list with no strong or good result gets the notice that nothing seems to "
        "answer.",
        "",
    ]
    for mode, pairs in run.checked.items():
        models = run.calibration.models.get(mode, {})
        lines += [
            f"## {mode}",
            "",
            "| pair | results | answering | Brier | Brier of base rate | ECE | AUC | model |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for pair, m in pairs.items():
            own = "own" if pair in models else "shared (any pair)"
            lines.append(
                f"| {pair} | {m.get('examples', 0)} | {m.get('positives', 0)} | "
                f"{_f(m.get('brier'))} | {_f(m.get('brier_base_rate'))} | {_f(m.get('ece'))} | "
                f"{_f(m.get('auc'))} | {own if pair != 'all' else ''} |"
            )
        lines += [
            "",
            "Reliability (all pairs; predicted probability of answering vs observed share):",
            "",
            "| predicted | results | mean predicted | observed |",
            "|---|---:|---:|---:|",
        ]
        for row in run.tables[mode]:
            lines.append(
                f"| {row['from']:.1f}–{row['to']:.1f} | {int(row['n'])} | "
                f"{_f(row['predicted'])} | {_f(row['observed'])} |"
            )
        said = run.verdicts[mode]
        lines += [
            "",
            f"What the front ends say: of {said['unanswerable']} unanswerable questions, "
            f'{said["unanswerable_said_nothing"]} get "nothing in this collection seems to '
            f'answer"; of {said["answerable"]} answerable questions, '
            f"{said['answerable_said_nothing']} wrongly get it.",
            "",
        ]
    return "\n".join(lines) + "\n"


def draw_reliability(run: CalibrationRun, path: Path) -> Path:
    """Reliability diagram: observed share against mean prediction per bin, one line per mode."""
    fig, ax = plt.subplots(figsize=(5.2, 5.0), dpi=110)
    ax.plot([0, 1], [0, 1], color="#9ca3af", linestyle="--", linewidth=1, label="perfect")
    for mode, table in run.tables.items():
        rows = [r for r in table if r["n"]]
        ax.plot(
            [r["predicted"] for r in rows],
            [r["observed"] for r in rows],
            marker="o",
            label=f"{mode} (ECE {_f(run.checked[mode]['all'].get('ece'))})",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability of answering")
    ax.set_ylabel("observed share that answers")
    ax.set_title("Relevance calibration, held-out questions")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_calibration_report(
    run: CalibrationRun, *, data_dir: Path | None = None, out_dir: Path | None = None
) -> Path:
    """Write calibration.md, calibration.json and reliability.png; return the folder."""
    if out_dir is None:
        if data_dir is None:
            raise ValueError("give data_dir or out_dir")
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out_dir = data_dir / "eval-reports" / f"calibration-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "calibration.md", render_calibration(run))
    figures = {
        "fitted_on": run.calibration.fitted_on,
        "checked": run.checked,
        "fitted": run.fitted,
        "reliability": run.tables,
        "verdicts": run.verdicts,
    }
    atomic_write_text(
        out_dir / "calibration.json", json.dumps(figures, indent=1, ensure_ascii=False) + "\n"
    )
    draw_reliability(run, out_dir / "reliability.png")
    return out_dir
