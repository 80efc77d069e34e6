"""Forked workers: they inherit what the parent holds (the catalog, the planned pages)
instead of receiving it pickled, and send back only their results. A pool of them for work
that splits into slices, and one in the background for a stage that does not depend on the
one the parent runs meanwhile."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

R = TypeVar("R")
T = TypeVar("T")


@contextmanager
def _collections_spare_shared_objects() -> Iterator[None]:
    # Objects made so far are kept out of garbage collections while workers run: a worker's
    # collector would otherwise write to every one of them, copying each memory page the
    # parent shares with it (a second or more at 100,000 papers).
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def forked_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Forked workers. An executor rather than multiprocessing's Pool: a worker that dies
    (killed, out of memory) or raises anything, KeyboardInterrupt included, fails the map
    in the parent, where a Pool would wait forever for the lost slice."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        with _collections_spare_shared_objects():
            yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def in_background(work: Callable[[], R]) -> Iterator[Callable[[], R]]:
    """Run `work()` in a forked process while the block runs; the block gets a function that
    waits for the result (or raises what `work` raised). Leaving the block stops a worker
    still running, so an error or Ctrl-C in the parent leaves nothing behind."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def run() -> None:
        outcome: tuple[bool, object]
        try:
            outcome = (True, work())
        except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
            outcome = (False, error)
        sender.send(outcome)

    def result() -> R:
        try:
            succeeded, value = receiver.recv()
        except EOFError:
            raise RuntimeError("a background worker stopped without a result") from None
        if not succeeded:
            raise value
        return value

    with _collections_spare_shared_objects():
        worker = context.Process(target=run, daemon=True)
        worker.start()
    sender.close()
    try:
        yield result
    finally:
        receiver.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()


# The parallel policy, in one place: how many items (papers, dump files or site files) a
# job needs before it runs on every core. Below it, forking workers costs more than it
# saves. `make test` runs the suite once more with every pool forced (always_parallel).
PARALLEL_FROM: dict[str, int] = {
    "parse dumps": 8,
    "tag papers": 2000,
    "read paper files": 2000,
    "write paper files": 2000,
    "analyse papers": 4000,
    "related papers": 8000,
    "fingerprint outputs": 4000,
    "render cards": 2000,
    "render files": 2000,
}

_work: Callable[[int, int], Any] | None = None


def always_parallel() -> bool:
    """PAPERSHELF_PARALLEL=always: every pool of workers runs whatever the number of items
    (two workers at least, even on one core). The suite's catalogs are far below the sizes
    where pools start, so `make test` runs the build and incremental tests once so."""
    return os.environ.get("PAPERSHELF_PARALLEL") == "always"


def _run_slice(bounds: tuple[int, int]) -> tuple[tuple[int, int], Any]:
    assert _work is not None
    return bounds, _work(*bounds)


def map_slices(
    work: Callable[[int, int], R],
    count: int,
    parallel_from: int,
    slices_per_worker: int = 4,
    on_slice: Callable[[int, int], None] | None = None,
) -> list[tuple[int, R]]:
    """`work(start, stop)` over consecutive slices of `count` items, on every core when there
    are at least `parallel_from` items, else in one call. Returns each slice's start and
    result, in order; `on_slice(start, stop)` hears of each slice as it is done (progress).
    Workers are forked after `work` is known, so it may be a closure over anything the
    parent holds: only slice bounds and results pass between processes."""
    global _work
    forced = always_parallel()
    workers = max(2, os.cpu_count() or 1) if forced else os.cpu_count() or 1
    serial = count == 0 or (not forced and (count < parallel_from or workers < 2))
    step = max(1, count if serial else -(-count // (workers * slices_per_worker)))
    bounds = [(start, min(start + step, count)) for start in range(0, count, step)]
    results: dict[int, R] = {}
    _work = work
    try:
        with nullcontext() if serial else forked_pool(workers) as pool:
            if pool is None:
                finished: Iterable[tuple[tuple[int, int], R]] = ((slice_, work(*slice_)) for slice_ in bounds)
            else:
                finished = (future.result() for future in as_completed([pool.submit(_run_slice, slice_) for slice_ in bounds]))
            for (start, stop), result in finished:
                results[start] = result
                if on_slice is not None:
                    on_slice(start, stop)
    finally:
        _work = None
    return sorted(results.items())


def map_each(function: Callable[[T], R], items: Sequence[T], parallel_from: int, slices_per_worker: int = 4) -> list[R]:
    """`function` of each item, in order, on every core from `parallel_from` items (see
    map_slices: `function` may be a closure over anything the parent holds)."""

    def work(start: int, stop: int) -> list[R]:
        return [function(item) for item in items[start:stop]]

    return [result for _, part in map_slices(work, len(items), parallel_from, slices_per_worker) for result in part]
