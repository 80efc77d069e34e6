"""Python's cyclic garbage collector, paused while a build or an ingest runs.

A large catalog is millions of live objects (papers, their sources and tags, pages). The
collector runs whenever enough new objects have been made and, every so often, walks every
live object: at 100,000 papers that took a fifth of a clean build's time, for almost no
garbage (a build's objects are freed by reference counting). Forked workers inherit the
pause.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
