"""How long operations say what they are doing.

Ingest, embedding and sentence preparation report ``on_progress(phase, done, total)``; the
command line turns that into progress bars and the app into a progress widget, so the stages
never print or draw anything themselves.
"""

from __future__ import annotations

from collections.abc import Callable

#: ``on_progress(phase, done, total)``: ``phase`` names the step (``ingest``, ``embed``,
#: ``save``, ``sentences``, ``done``); ``done`` of ``total`` units of it are finished.
Progress = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    """A progress callback that ignores every report."""
