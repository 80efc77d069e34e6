"""Writing the built site: into a fresh folder beside the output, then swapped in, so a
failed build leaves the previous site intact and a reader never sees half a site."""

from __future__ import annotations

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


def write_site(output: Path, files: dict[str, bytes]) -> None:
    """Write every file into a temporary sibling folder, then swap it with `output`."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}-new-"))
    try:
        for relative in sorted(files):
            target = safe_target(staging, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[relative])
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
