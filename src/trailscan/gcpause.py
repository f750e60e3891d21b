"""Pausing Python's cyclic garbage collector around bulk work that builds only acyclic objects.

Parsed JSON-RPC answers, decoded columns and label tags hold no reference cycles: reference counting
frees them, and a cyclic collection would only rescan millions of live objects again and again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore its previous state afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
