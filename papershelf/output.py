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


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def remove_leftovers(output: Path) -> None:
    """Staging folders of builds that were interrupted before their swap."""
    for leftover in output.parent.glob(f".{output.name}-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


def write_site(output: Path, fresh: dict[str, bytes], keep: set[str] = frozenset()) -> None:
    """Make `output` hold exactly the `fresh` files plus the `keep` files of the current
    output, in one swap."""
    output.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(output)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}-new-"))
    try:
        made: set[Path] = set()
        for relative in sorted(set(fresh) | set(keep)):
            target = safe_target(staging, relative)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if relative in fresh:
                target.write_bytes(fresh[relative])
            else:
                _link_or_copy(output / relative, target)
        staging.chmod(0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = output.parent / f".{output.name}-old-{staging.name.rsplit('-', 1)[-1]}"
    if output.exists():
        output.rename(retired)
    try:
        staging.rename(output)
    except BaseException:
        if retired.exists():
            retired.rename(output)
        raise
    shutil.rmtree(retired, ignore_errors=True)
