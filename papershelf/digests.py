"""What the input files are: the SHA-256 of each, remembered with the file's status (size,
modification and status-change times, inode) so that an untouched file is not read again.
A git checkout costs a re-read, never a wrong answer; an edit that sets the modification
time back is still seen."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def walk_files(folder: Path, hidden: bool = False) -> Iterator[os.DirEntry]:
    """Every file under `folder` (hidden ones and hidden folders only when asked), walked
    with os.scandir: at 100,000 files, pathlib's overhead would be most of a small build."""
    pending = [str(folder)] if folder.is_dir() else []
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if not hidden and entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file():
                    yield entry


def file_status(stat: os.stat_result) -> list[int]:
    """What says a file is untouched: its size and modification time, which tools may set
    back (`touch -r`, `cp -p`), and its inode and status-change time, which they cannot."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


@dataclass
class FileDigests:
    """Digests of files under a root, reusing earlier ones for files whose status (see
    file_status) has not changed."""

    known: dict[str, list] = field(default_factory=dict)  # path -> [*file_status, digest]
    # Files this process has seen untouched or has written: an ingest and the build after it
    # in one run check each file once (a stat per file is a second at 100,000 files).
    checked: set[str] = field(default_factory=set)

    def known_digest(self, path: Path | str, stat: os.stat_result | None = None) -> str | None:
        """The remembered digest, if the file's status (see file_status) is unchanged."""
        name = str(path)
        stat = stat if stat is not None else os.stat(name)
        entry = self.known.get(name)
        if entry and entry[:-1] == file_status(stat):
            self.checked.add(name)
            return entry[-1]
        return None

    def digest(self, path: Path, data: bytes | None = None) -> str:
        """The file's digest: remembered when untouched, else computed from `data` (its bytes,
        when the caller has read them already) or from the file."""
        stat = path.stat()
        if data is None:
            remembered = self.known_digest(path, stat)
            if remembered is not None:
                return remembered
            data = path.read_bytes()
        digest = sha256(data)
        self.remember(path, digest, stat)
        return digest

    def remember(self, path: Path | str, digest: str, stat: os.stat_result) -> None:
        """The digest of a file just read or written, and its status then."""
        self.known[str(path)] = [*file_status(stat), digest]
        self.checked.add(str(path))

    def tree(self, folder: Path) -> dict[str, str]:
        """Path (relative to `folder`) -> digest for every file under it (hidden ones
        aside), in name order."""
        prefix = len(str(folder)) + 1
        digests = {}
        known, checked = self.known, self.checked
        for path in sorted(entry.path for entry in walk_files(folder)):
            # A file checked in this run is a known one; a Path is made only to read a file.
            digest = known[path][-1] if path in checked else self.known_digest(path) or self.digest(Path(path))
            digests[path[prefix:].replace(os.sep, "/")] = digest
        return digests
