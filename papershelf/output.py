"""Writing the built site: assembled in a fresh folder beside the output, then swapped in,
so a failed build leaves the previous site intact and a reader never sees half a site.
Files that did not change are hard-linked from the previous site: same bytes, same
modification time, and no copying."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from papershelf.errors import PapershelfError


def safe_target(root: Path, relative: str) -> Path:
    """The file `relative` names under `root`; refuses anything that would land outside."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()) or target == root.resolve():
        raise PapershelfError(root, f"refusing to write outside the site: {relative!r}")
    return target


def remove_leftovers(output: Path) -> None:
    """Staging folders of builds that were interrupted before their swap."""
    for leftover in output.parent.glob(f".{output.name}-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


class StagedSite:
    """The next version of the site, built beside the current one until `commit()`."""

    def __init__(self, output: Path):
        self.output = output
        output.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(output)
        self.staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}-new-"))

    def _target(self, relative: str) -> Path:
        target = safe_target(self.staging, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def keep(self, relative: str) -> None:
        """Carry a file of the current site over unchanged."""
        source, target = self.output / relative, self._target(relative)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    def put(self, relative: str, data: bytes, reuse_equal: bool = True) -> bool:
        """Add a file; when the current site has the same bytes, keep that file instead
        (its modification time stays). True when new bytes were written."""
        current = self.output / relative
        if reuse_equal and current.is_file() and current.stat().st_size == len(data) and current.read_bytes() == data:
            self.keep(relative)
            return False
        self._target(relative).write_bytes(data)
        return True

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self) -> None:
        """Swap the staged site in; the old one is removed after."""
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
