"""Garbage-collector settings for long replays (rebuilds, the catalogue as of a moment)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fewer_collections() -> Iterator[None]:
    """A replay allocates millions of short-lived objects while a large aggregate cache stays alive; with CPython's
    default thresholds the collector re-scans that cache again and again (measured: a fifth of a 100,000-record
    rebuild). Objects alive before the replay are frozen out of collection, and collections run less often."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
