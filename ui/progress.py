"""Progress-bar text and position for the phases of an index update (first start, uploads)."""

from __future__ import annotations

from casesearch.ui.i18n import t

#: What :meth:`casesearch.ui.service.AppService.update` reports, in order; each phase's
#: words are the catalogue's ``phase.<name>``.
PHASES = ("wait", "model", "ingest", "embed", "save", "sentences", "load", "done")

#: Bar position of the phases whose length is not known; ``embed`` fills the space between.
_FIXED = {
    "wait": 0.0,
    "model": 0.02,
    "ingest": 0.08,
    "save": 0.95,
    "sentences": 0.97,
    "load": 0.99,
    "done": 1.0,
}


def phase_fraction(phase: str, done: int, total: int) -> float:
    """Where the progress bar stands (0..1)."""
    if phase in _FIXED:
        return _FIXED[phase]
    return min(1.0, 0.12 + 0.84 * (done / total if total else 1.0))


def phase_label(phase: str, done: int, total: int) -> str:
    """The text beside the bar, with a count while passages are embedded."""
    label = t(f"phase.{phase}") if phase in PHASES else phase
    if phase == "embed" and total > 1:
        label += " — " + t("phase.count", done=done, total=total)
    return label + "…" if phase != "done" else label
