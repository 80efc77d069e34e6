"""Writing the built site so that a failed build leaves the previous one intact.

Every file that needs new bytes is first written to a staging folder beside the output.
Only when all of them are written does the site change: a clean build swaps the whole
staged site in; an incremental build moves each new file over its old version (a rename)
and removes the files the site no longer has. Unchanged files are never touched, so they
keep their bytes and modification times, and adding a dump to a large catalog costs
what it changes, not what the site holds (creating a file is by far the dearest thing a
build does to the disk)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from papershelf.cache import walk_files
from papershelf.errors import PapershelfError


def check_relative(root: Path, relative: str) -> str:
    """`relative` itself when it names a file under `root`; refuses anything that could land
    outside it (absolute paths, `..`, empty parts). Lexical: no file system call."""
    parts = relative.split("/")
    if PurePosixPath(relative).is_absolute() or any(part in ("", ".", "..") for part in parts):
        raise PapershelfError(root, f"refusing to write outside the site: {relative!r}")
    return relative


def remove_leftovers(output: Path) -> None:
    """Staging folders of builds that were interrupted before their commit."""
    for leftover in output.parent.glob(f".{output.name}-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


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
        output.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(output)
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
        shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self, files: set[str]) -> None:
        """Make the site hold exactly `files`: the staged ones new, the others as they were."""
        if self.whole:
            self._swap()
            return
        for relative in sorted(self.staged_files()):
            target = self.output / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / relative, target)
        for relative in sorted(self.present - files):
            (self.output / relative).unlink()
            _remove_empty_parents(self.output, relative)
        shutil.rmtree(self.staging, ignore_errors=True)

    def _swap(self) -> None:
        self.staging.chmod(0o755)
        retired = self.output.parent / f".{self.output.name}-old-{self.staging.name.rsplit('-', 1)[-1]}"
        if self.output.exists():
            self.output.rename(retired)
        try:
            self.staging.rename(self.output)
        except BaseException:
            if retired.exists():
                retired.rename(self.output)
            raise
        shutil.rmtree(retired, ignore_errors=True)


def _remove_empty_parents(root: Path, relative: str) -> None:
    """The folders a removed file leaves empty (a tag page's folder, say)."""
    folder = relative.rpartition("/")[0]
    while folder:
        try:
            (root / folder).rmdir()
        except OSError:  # not empty
            return
        folder = folder.rpartition("/")[0]
