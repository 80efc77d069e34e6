"""What a build remembers between runs, in the catalog's `.cache/` folder (never committed):

- file digests: the SHA-256 of every input file, with its status (size, modification and
  status-change times, inode) only as a shortcut to skip re-reading an untouched file (a
  git checkout costs a re-read, never a wrong answer; an edit that sets the modification
  time back is still seen);
- parsed papers keyed by the digest of their YAML text, so unchanged files are not parsed
  again (an append-only log: adding 200 papers appends 200 entries);
- the last build's term table (every paper's analysed words, keyed by the same digests),
  so that only new and changed papers are analysed, and its postings' ref gaps, so that
  a build that appends papers does not sort every posting again;
- the build state: a digest of all inputs, and the fingerprint of every output file; while
  a build moves new files into the site, the list of those files ("pending").

Losing the cache only makes the next build slower.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import pickle
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from papershelf.yamlio import write_atomic

if TYPE_CHECKING:
    from papershelf.store import Store

FORMAT = 2  # of the JSON files: their file status entries gained ctime and inode
CODE_DIR = Path(__file__).resolve().parent


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# The packages whose versions shape what a build writes: templates, Markdown and its
# sanitizer, YAML, validation, slugs, the search index and related papers.
OUTPUT_PACKAGES = ("Jinja2", "MarkupSafe", "Markdown", "nh3", "PyYAML", "pydantic", "pydantic_core", "python-slugify", "lunr", "numpy", "scipy")


@functools.cache
def code_digests() -> dict[str, str]:
    """Papershelf's own modules by digest, and the versions of Python and of the packages
    that shape the output: a new version of any of them rebuilds everything (and starts
    the parsed and analysed caches over)."""
    digests = {p.name: sha256(p.read_bytes()) for p in sorted(CODE_DIR.glob("*.py"))}
    digests["python"] = sys.version
    for package in OUTPUT_PACKAGES:
        try:
            digests[f"package {package}"] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            digests[f"package {package}"] = "not installed"
    return digests


@functools.cache
def code_version() -> str:
    """One digest of all of Papershelf's modules."""
    return sha256(json.dumps(code_digests()).encode("utf-8"))


def pickle_header() -> tuple:
    """What a pickled cache file starts with. It names the code that wrote it: parsed papers
    and analysed terms are only as good as the code that made them, so a new version of
    Papershelf (a git pull, or a CI cache restored after a code change) starts them over."""
    return ("papershelf pickle log", 1, code_version())


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


@dataclass
class BuildState:
    stamp: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # output path -> fingerprint
    files: FileDigests = field(default_factory=FileDigests)


class Cache:
    def __init__(self, folder: Path):
        self.folder = folder
        self._parsed: PickleLog | None = None
        self._state: BuildState | None = None
        # The content store as this process last saved it: a build that follows an ingest in
        # the same command starts from it instead of reading 100,000 files again.
        self.store: Store | None = None

    @property
    def state_path(self) -> Path:
        return self.folder / "build-state.json"

    @property
    def tag_rules_path(self) -> Path:
        return self.folder / "tag-rules"

    def tag_rules(self) -> str:
        """The digest of the tag rules the content was last tagged with ('' if unknown)."""
        try:
            return self.tag_rules_path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def save_tag_rules(self, digest: str) -> None:
        write_atomic(self.tag_rules_path, digest + "\n")

    @property
    def outputs_path(self) -> Path:
        return self.folder / "build-outputs.json"

    def _read_json(self, path: Path) -> dict:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) and data.get("format") == FORMAT else {}
        except (OSError, ValueError):
            return {}

    @property
    def pending_path(self) -> Path:
        return self.folder / "site-pending.json"

    def mark_pending(self, paths: list[str] | None) -> None:
        """Said before a build starts changing the site's files (`None`: all of them, a clean
        build's swap): if it is cut off there, the next build must neither take the site for
        up to date nor trust what the state says of these files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.pending_path, json.dumps({"format": FORMAT, "paths": paths}))

    def load_state(self) -> BuildState:
        """The stamp and file digests: all a build with nothing new needs to read. Read once:
        an ingest and the build after it share what the ingest learned of new files."""
        if self._state is None:
            self._state = self._read_state()
        return self._state

    def _read_state(self) -> BuildState:
        data = self._read_json(self.state_path)
        if "stamp" not in data or "files" not in data:
            return BuildState()
        stamp = "" if self.pending_path.exists() else data["stamp"]
        return BuildState(stamp, {}, FileDigests(data["files"]))

    @property
    def dump_digests_path(self) -> Path:
        return self.folder / "dump-digests.json"

    def dump_digests(self) -> FileDigests:
        return FileDigests(self._read_json(self.dump_digests_path).get("files", {}))

    def save_dump_digests(self, digests: FileDigests) -> None:
        write_atomic(self.dump_digests_path, json.dumps({"format": FORMAT, "files": digests.known}))

    def load_outputs(self) -> dict[str, str]:
        """Output path -> fingerprint of the last build (read only when there is work)."""
        outputs = self._read_json(self.outputs_path).get("outputs", {})
        if not self.pending_path.exists():
            return outputs
        pending = self._read_json(self.pending_path).get("paths")
        if not isinstance(pending, list):  # all of them, or unreadable: trust no file of the site
            return {}
        untrusted = set(pending)
        return {path: fingerprint for path, fingerprint in outputs.items() if path not in untrusted}

    def save_state(self, state: BuildState) -> None:
        # Outputs first: a state whose stamp is newer than its outputs would skip work.
        write_atomic(self.outputs_path, json.dumps({"format": FORMAT, "outputs": state.outputs}, separators=(",", ":")))
        data = {"format": FORMAT, "stamp": state.stamp, "files": state.files.known}
        write_atomic(self.state_path, json.dumps(data, separators=(",", ":")))
        self.pending_path.unlink(missing_ok=True)
        self._state = state

    def parsed(self) -> PickleLog:
        """Digest of a paper file's text -> the paper parsed from it."""
        if self._parsed is None:
            self._parsed = PickleLog(self.folder / "parsed.pickle")
        return self._parsed

    @property
    def term_table_path(self) -> Path:
        return self.folder / "term-table.pickle"

    def term_table(self) -> Any:
        """The last build's term table (see analysis.catalog_table), or None."""
        return self._read_pickled(self.term_table_path)

    @staticmethod
    def _read_pickled(path: Path) -> Any:
        """What `write_pickled` wrote, or None if missing, damaged or written by other code."""
        try:
            with path.open("rb") as handle:
                header, value = pickle.load(handle), pickle.load(handle)
            return value if header == pickle_header() else None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None

    def save_term_table(self, table: Any) -> None:
        write_pickled(self.term_table_path, table)

    @property
    def ref_gaps_path(self) -> Path:
        return self.folder / "ref-gaps.pickle"

    def ref_gaps(self) -> Any:
        """The last build's postings' ref gaps (see search_index.RefGaps), or None."""
        return self._read_pickled(self.ref_gaps_path)

    def save_ref_gaps(self, gaps: Any) -> None:
        write_pickled(self.ref_gaps_path, gaps)


def write_pickled(path: Path, value: Any) -> None:
    """The header, then `value`, pickled into `path` through a temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        pickle.dump(pickle_header(), handle)
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


class PickleLog(dict):
    """A dict kept in one file as a series of pickled batches: saving appends what was added
    since loading, so a build that adds 200 papers to 100,000 writes 200 entries, not the
    whole catalog. The file is rewritten whole when most of it is stale."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.stored = 0  # entries in the file, stale ones included
        self.added: dict[str, Any] = {}
        self.readable = False  # a missing, older or damaged file is rewritten, never appended to
        try:
            with path.open("rb") as handle:
                if pickle.load(handle) != pickle_header():
                    return
                self.readable = True
                while True:
                    batch = pickle.load(handle)
                    self.stored += len(batch)
                    super().update(batch)
        except EOFError:
            pass
        except (OSError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            self.clear()
            self.readable = False

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.added[key] = value

    def save(self, used: set[str]) -> None:
        """Append the new entries; rewrite the file with only the `used` ones when more than
        half of it would be stale."""
        live = {key: value for key, value in self.items() if key in used}
        if not self.readable or self.stored + len(self.added) > 2 * len(live) + 1000:
            self.clear()
            self.update(live)
            write_pickled(self.path, live)
            self.stored, self.readable = len(live), True
        elif self.added:
            with self.path.open("ab") as handle:
                pickle.dump(self.added, handle, protocol=pickle.HIGHEST_PROTOCOL)
            self.stored += len(self.added)
        self.added = {}
