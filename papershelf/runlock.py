"""One run at a time per catalog, and every run starts from a consistent state.

Each command that reads or writes the content store, the cache or the site holds the
catalog's lock: an flock on `.cache/run.lock`, which the system releases when its holder
dies, so a killed run never blocks the next. The file holds the pid of the run holding it
and is emptied when a run ends normally: a run that finds a pid there (its holder was
killed or failed) removes the temporary files that interrupted writes left in the
content store, the dumps folder and the cache. Every run, holding the lock, first
completes or discards what a killed build left of its commit (`output.recover`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from papershelf.config import Settings
from papershelf.errors import PapershelfError
from papershelf.output import recover

_held: list[IO[str]] = []


def _forget_in_child() -> None:
    # A forked worker closes its copy of the lock's file: the lock stays the parent's, and a
    # worker that outlives a killed parent does not keep the next run waiting.
    for handle in _held:
        handle.close()
    _held.clear()


os.register_at_fork(after_in_child=_forget_in_child)


@contextmanager
def exclusive_run(settings: Settings, wait: bool = False) -> Iterator[None]:
    """Hold the catalog's lock for the block; without `wait`, refuse at once with one line
    when another run holds it."""
    folder = settings.cache_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "run.lock"
    handle = open(path, "a+", encoding="utf-8")  # "a+": the holder's pid is not wiped
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        who = f" (process {holder})" if holder.isdigit() else ""
        raise PapershelfError(path, f"another Papershelf run{who} is using this catalog: try again when it has finished") from None
    _held.append(handle)
    try:
        handle.seek(0)
        if handle.read().strip():  # the last run did not end normally
            remove_temporary_files(settings)
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        recover(settings.output_dir)
        yield
        handle.truncate(0)
        handle.flush()
    finally:
        _held.remove(handle)
        handle.close()


def remove_temporary_files(settings: Settings) -> None:
    """What interrupted atomic writes leave (`.<name>.<pid>.tmp`, `<name>.<pid>.tmp`) and a
    first write of the store cut off (`content/.papers-new`). Only ever called holding the
    lock, so no other run is writing them."""
    content = settings.content_dir
    for folder in (content, content / "papers", settings.dumps_dir, settings.cache_dir):
        if not folder.is_dir():
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(".tmp") and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
    shutil.rmtree(content / ".papers-new", ignore_errors=True)
