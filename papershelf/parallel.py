"""Forked worker pools: workers inherit what the parent holds (the catalog, the planned
pages) instead of receiving it pickled, and send back only their results."""

from __future__ import annotations

import gc
import multiprocessing
from contextlib import contextmanager
from multiprocessing.pool import Pool
from typing import Iterator


@contextmanager
def forked_pool(workers: int) -> Iterator[Pool]:
    # Objects made so far are kept out of garbage collections while workers run: a worker's
    # collector would otherwise write to every one of them, copying each memory page the
    # parent shares with it (a second or more at 100,000 papers).
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield pool
    finally:
        gc.unfreeze()
