"""The report's picture: nDCG@10 per search mode and language pair, as grouped bars.

One glance should show whether a mode loses a whole direction (say English questions on
Danish cases), which a single overall number hides.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in tests

import matplotlib.pyplot as plt  # the backend must be chosen first

from casesearch.eval.metrics import PRIMARY


def draw_chart(
    metrics: Mapping[str, Mapping[str, Mapping[str, float]]],
    path: Path,
    *,
    title: str,
    measure: str = PRIMARY,
) -> Path:
    """Write a PNG with one group of bars per language pair and one bar per mode.

    Args:
        metrics: ``{mode: {pair: {measure: value, "questions": n}}}`` as in an EvalReport.
        path: where to write the PNG.
        title: chart title (the question set's name, say).
        measure: which measure to draw.
    """
    modes = list(metrics)
    pairs: list[str] = []
    for mode in modes:
        for pair in metrics[mode]:
            if pair not in pairs:
                pairs.append(pair)
    width = 0.8 / max(1, len(modes))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(pairs) + 2), 4.0), dpi=110)
    for i, mode in enumerate(modes):
        xs = [p + (i - (len(modes) - 1) / 2) * width for p in range(len(pairs))]
        ys = [float(metrics[mode].get(pair, {}).get(measure, 0.0)) for pair in pairs]
        bars = ax.bar(xs, ys, width, label=mode)
        ax.bar_label(bars, labels=[f"{y:.2f}" for y in ys], fontsize=7, padding=1)
    labels = []
    for pair in pairs:
        n = next((int(metrics[m][pair]["questions"]) for m in modes if pair in metrics[m]), 0)
        labels.append(f"{pair}\n(n={n})")
    ax.set_xticks(range(len(pairs)), labels)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel(measure)
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
