"""Writing the built site so that a failed or killed build leaves the previous one intact.

Every file that needs new bytes is first written to a staging folder beside the output.
Only when all of them are written does the site change, in a commit:

- a clean build exchanges the staged folder with the site in one atomic step (Linux's
  renameat2 with RENAME_EXCHANGE), so that at every instant `site/` is the old complete
  site or the new one; where the system cannot exchange, two renames under a journal;
- an incremental build first writes a journal of the commit (the files to move in, the
  files to remove), then moves each new file over its old version and removes what the
  site no longer has. A run cut off there (kill -9) leaves the journal, and the next run
  completes it before doing anything else (`recover`), so the site always ends as a
  complete version. Unchanged files are never touched: they keep their bytes and
  modification times, and adding a dump to a large catalog costs what it changes.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TypeVar

from papershelf.digests import walk_files
from papershelf.errors import PapershelfError
from papershelf.yamlio import write_atomic

T = TypeVar("T")


def check_relative(root: Path, relative: str) -> str:
    """`relative` itself when it names a file under `root`; refuses anything that could land
    outside it (absolute paths, `..`, empty parts). Lexical: no file system call."""
    parts = relative.split("/")
    if PurePosixPath(relative).is_absolute() or any(part in ("", ".", "..") for part in parts):
        raise PapershelfError(root, f"refusing to write outside the site: {relative!r}")
    return relative


def journal_path(output: Path) -> Path:
    return output.parent / f".{output.name}-commit.json"


def recover(output: Path) -> None:
    """Complete the commit a killed build left (its journal), then remove the staging
    folders of builds cut off before their commit. Every step can be done again, so a
    recovery cut off in turn is completed by the next run."""
    journal = journal_path(output)
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        plan = None
    except (OSError, ValueError):  # written atomically, so never half: unreadable means foreign
        raise PapershelfError(journal, "the commit journal of an earlier build cannot be read; remove it and build with --clean") from None
    if plan is not None:
        _apply(output, plan)
    for leftover in output.parent.glob(f".{output.name}-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


def _apply(output: Path, plan: dict) -> None:
    """Carry out a journaled commit, from wherever it was cut off."""
    staging = output.parent / plan["staging"]
    if "retired" in plan:  # a swap by two renames
        if not output.exists() and staging.is_dir():
            step(staging.rename, output)
        step(shutil.rmtree, output.parent / plan["retired"], True)
    else:
        for relative in plan["moves"]:
            source = staging / check_relative(output, relative)
            if source.exists():  # not moved yet (a rename moves it whole or not at all)
                target = output / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                step(os.replace, source, target)
        for relative in plan["removes"]:
            step((output / check_relative(output, relative)).unlink, True)
            _remove_empty_parents(output, relative)
    shutil.rmtree(staging, ignore_errors=True)
    journal_path(output).unlink(missing_ok=True)


def step(action: Callable[..., T], *args: object) -> T:
    """One step of a commit: the tests put a kill here, at each step in turn."""
    return action(*args)


RENAME_EXCHANGE = 2
AT_FDCWD = -100


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2); False where the system or
    the file system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(first))


def site_files(folder: Path) -> set[str]:
    """Every file under `folder`, as paths relative to it."""
    prefix = len(str(folder)) + 1
    return {entry.path[prefix:].replace(os.sep, "/") for entry in walk_files(folder, hidden=True)}


class StagedSite:
    """The next version of the site: new files wait in a staging folder until `commit()`.
    `whole` stages every file and swaps folders (clean builds); otherwise only new bytes
    are staged and moved into the existing site."""

    def __init__(self, output: Path, whole: bool):
        self.output = output
        self.whole = whole or not output.is_dir()
        output.parent.mkdir(parents=True, exist_ok=True)  # repaired by then (runlock.exclusive_run)
        self.staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}-new-"))
        self._folders: set[str] = set()
        # The files the site has now (read once: a walk of a large site takes a second).
        self.present: set[str] = set() if self.whole else site_files(output)

    def put(self, relative: str, data: bytes, reuse_equal: bool = True) -> bool:
        """Stage a file, unless the current site already has these bytes there (then it stays
        as it is, modification time included). True when new bytes were staged."""
        check_relative(self.output, relative)
        current = self.output / relative
        if reuse_equal and not self.whole and current.is_file() and current.stat().st_size == len(data) and current.read_bytes() == data:
            return False
        folder = relative.rpartition("/")[0]
        if folder and folder not in self._folders:  # one mkdir per folder, not per file
            (self.staging / folder).mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        (self.staging / relative).write_bytes(data)
        return True

    def staged_files(self) -> set[str]:
        return site_files(self.staging)

    def abort(self) -> None:
        """Drop what was staged, unless the commit was decided (journaled): then the next
        run completes it."""
        if not journal_path(self.output).exists():
            shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self, files: set[str]) -> None:
        """Make the site hold exactly `files`: the staged ones new, the others as they were."""
        if self.whole:
            self._swap()
            return
        plan = {"staging": self.staging.name, "moves": sorted(self.staged_files()), "removes": sorted(self.present - files)}
        step(write_atomic, journal_path(self.output), json.dumps(plan))
        _apply(self.output, plan)

    def _swap(self) -> None:
        self.staging.chmod(0o755)
        if not self.output.exists():
            step(self.staging.rename, self.output)  # nothing to replace: one atomic rename
        elif step(exchange, self.staging, self.output):
            step(shutil.rmtree, self.staging, True)  # holds the old site now
        else:
            retired = self.output.parent / f".{self.output.name}-old-{self.staging.name.rsplit('-', 1)[-1]}"
            plan = {"staging": self.staging.name, "retired": retired.name}
            step(write_atomic, journal_path(self.output), json.dumps(plan))
            step(self.output.rename, retired)
            _apply(self.output, plan)


def _remove_empty_parents(root: Path, relative: str) -> None:
    """The folders a removed file leaves empty (a tag page's folder, say)."""
    folder = relative.rpartition("/")[0]
    while folder:
        try:
            (root / folder).rmdir()
        except OSError:  # not empty
            return
        folder = folder.rpartition("/")[0]
