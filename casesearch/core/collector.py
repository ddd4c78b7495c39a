"""Pause Python's cyclic garbage collector around bulk work on large indexes.

Building or opening an index creates hundreds of thousands of small objects (chunk rows, case
records). Each automatic collection then walks everything alive, so with a 100k-chunk corpus
in memory the collector took about a third of the time to add one document. That work creates
no reference cycles worth collecting early, so collection waits until it is done.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Disable automatic garbage collection inside the block (restored afterwards)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
