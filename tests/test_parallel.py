"""The forked helpers: slices come back in order whatever finishes first, and a background
worker hands over its result or its error and never outlives its block."""

from __future__ import annotations

import os
import time

import pytest

from papershelf.errors import PapershelfError
from papershelf.parallel import in_background, map_each, map_slices


def test_slices_cover_the_items_in_order_on_every_core() -> None:
    parent = os.getpid()
    items = list(range(1000))

    def work(start: int, stop: int) -> tuple[int, list[int]]:
        return os.getpid(), [item * item for item in items[start:stop]]

    parts = map_slices(work, len(items), parallel_from=10)
    assert [value for _, (_, values) in parts for value in values] == [item * item for item in items]
    assert [start for start, _ in parts] == sorted(start for start, _ in parts)
    assert parent not in {pid for _, (pid, _) in parts}  # done by workers
    assert {pid for _, (pid, _) in map_slices(work, len(items), parallel_from=5000)} == {parent}


def test_each_item_is_mapped_in_order_on_every_core() -> None:
    parent = os.getpid()
    items = [f"item {n}" for n in range(500)]
    mapped = map_each(lambda item: (os.getpid(), item.upper()), items, parallel_from=10)
    assert [value for _, value in mapped] == [item.upper() for item in items]
    assert parent not in {pid for pid, _ in mapped}
    assert map_each(len, items, parallel_from=1000) == [len(item) for item in items]


def test_background_work_runs_in_another_process_beside_the_block() -> None:
    table = {"rows": list(range(100_000))}  # inherited by the worker, not sent to it

    with in_background(lambda: (os.getpid(), sum(table["rows"]), b"x" * 10_000_000)) as result:
        beside = sum(range(1000))
        pid, total, payload = result()
    assert pid != os.getpid() and total == sum(range(100_000)) and len(payload) == 10_000_000 and beside == 499500


def test_background_errors_reach_the_parent() -> None:
    def fail() -> None:
        raise PapershelfError("dumps/bad.txt", "cannot parse", 3)

    with pytest.raises(PapershelfError, match="bad.txt"):
        with in_background(fail) as result:
            result()


def test_leaving_the_block_stops_a_worker_still_running(tmp_path) -> None:
    marker = tmp_path / "finished"

    def slow() -> None:
        time.sleep(3)
        marker.write_text("done")

    started = time.perf_counter()
    with pytest.raises(KeyError):
        with in_background(slow):
            raise KeyError("the parent failed meanwhile")
    assert time.perf_counter() - started < 2
    time.sleep(3.5)
    assert not marker.exists()


def test_one_switch_forces_every_pool_at_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    items = list(range(3))
    monkeypatch.setenv("PAPERSHELF_PARALLEL", "always")
    pids = {pid for _, pid in map_slices(lambda start, stop: os.getpid(), len(items), parallel_from=10**9)}
    assert parent not in pids
    assert map_each(lambda item: item + 1, items, parallel_from=10**9) == [1, 2, 3]
    monkeypatch.delenv("PAPERSHELF_PARALLEL")
    assert {pid for _, pid in map_slices(lambda start, stop: os.getpid(), len(items), parallel_from=10**9)} == {parent}


def test_a_worker_that_dies_fails_the_map_instead_of_hanging_it() -> None:
    from concurrent.futures.process import BrokenProcessPool

    parent = os.getpid()

    def work(start: int, stop: int) -> int:
        if os.getpid() != parent and start == 0:
            os._exit(9)  # as if killed
        return stop - start

    with pytest.raises(BrokenProcessPool):
        map_slices(work, 100, parallel_from=10)

    def interrupted(start: int, stop: int) -> int:
        raise KeyboardInterrupt("in a worker")

    with pytest.raises(KeyboardInterrupt):
        map_slices(interrupted, 100, parallel_from=10)
