"""Progress bars on the terminal for the stages' ``on_progress(phase, done, total)`` reports."""

from __future__ import annotations

import sys

from tqdm import tqdm

#: What each phase's bar says, and its unit.
PHASES = {
    "ingest": ("Reading files", "file"),
    "embed": ("Embedding passages", "passage"),
    "sentences": ("Sentence vectors", "sentence"),
}
#: Bars appear only for phases with at least this much work (a single file needs none).
MIN_TOTAL = 10


class TerminalProgress:
    """One tqdm bar per phase, on stderr; call :meth:`close` when the work is over."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._phase = ""
        self._bar: tqdm | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if phase != self._phase:
            self.close()
            self._phase = phase
            if phase in PHASES and total >= MIN_TOTAL:
                desc, unit = PHASES[phase]
                self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
        if self._bar is not None:
            self._bar.total = total
            self._bar.n = done
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._phase = ""
