"""What a build remembers between runs, in the catalog's `.cache/` folder (never committed).

The stages (loading the store, analysis, the search index) are functions of their inputs
and know nothing of this: the build and ingest commands put the cache in front of them.
What a stage produced is kept under the stage's name and the version of the code and of
the packages that made it (`code_version`), so a new version of either starts it over:

- memos: a stage's result for each input, keyed by the input's digest ("parsed papers",
  an append-only log: adding 200 papers appends 200 entries);
- last results: what a stage made in the last run, which the next one grows instead of
  starting over ("term table", "ref gaps", "tag rules");
- the build state: a digest of all inputs, the digests of the input files (`digests.py`)
  and the fingerprint of every output file; while a build moves new files into the site,
  the list of those files ("pending").

Losing the cache only makes the next build slower.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papershelf.digests import FileDigests, sha256
from papershelf.yamlio import write_atomic

FORMAT = 2  # of the JSON files: their file status entries gained ctime and inode
CODE_DIR = Path(__file__).resolve().parent


# The packages whose versions shape what a build writes: templates, Markdown and its
# sanitizer, YAML, validation, slugs, the search index and related papers.
OUTPUT_PACKAGES = ("Jinja2", "MarkupSafe", "Markdown", "nh3", "PyYAML", "pydantic", "pydantic_core", "python-slugify", "lunr", "numpy", "scipy")


@functools.cache
def code_digests() -> dict[str, str]:
    """Papershelf's own modules by digest, and the versions of Python and of the packages
    that shape the output: a new version of any of them rebuilds everything (and starts
    the parsed and analysed caches over)."""
    digests = {p.relative_to(CODE_DIR).as_posix(): sha256(p.read_bytes()) for p in sorted(CODE_DIR.rglob("*.py"))}
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


def pickle_header(stage: str, versioned: bool = True) -> tuple:
    """What a pickled cache file starts with. It names the stage and the code that wrote it:
    parsed papers and analysed terms are only as good as the code that made them, so a new
    version of Papershelf (a git pull, or a CI cache restored after a code change) starts
    them over. A value that names its own code (a digest of it) is kept `versioned=False`:
    another change to the code leaves it good."""
    return ("papershelf cache", stage, code_version() if versioned else "")


@dataclass
class BuildState:
    stamp: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # output path -> fingerprint
    files: FileDigests = field(default_factory=FileDigests)


class Cache:
    def __init__(self, folder: Path):
        self.folder = folder
        self._memos: dict[str, PickleLog] = {}
        self._state: BuildState | None = None

    def _stage_path(self, stage: str) -> Path:
        return self.folder / (stage.replace(" ", "-") + ".pickle")

    def memo(self, stage: str) -> PickleLog:
        """The stage's results by the digest of their input; `PickleLog.save` keeps them."""
        if stage not in self._memos:
            self._memos[stage] = PickleLog(self._stage_path(stage), pickle_header(stage))
        return self._memos[stage]

    def last(self, stage: str, versioned: bool = True) -> Any:
        """What `keep` kept of the stage, or None if missing, damaged or written by other code."""
        try:
            with self._stage_path(stage).open("rb") as handle:
                header, value = pickle.load(handle), pickle.load(handle)
            return value if header == pickle_header(stage, versioned) else None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None

    def keep(self, stage: str, value: Any, versioned: bool = True) -> None:
        write_pickled(self._stage_path(stage), pickle_header(stage, versioned), value)

    @property
    def state_path(self) -> Path:
        return self.folder / "build-state.json"

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


def write_pickled(path: Path, header: tuple, value: Any) -> None:
    """The header, then `value`, pickled into `path` through a temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        pickle.dump(header, handle)
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


class PickleLog(dict):
    """A dict kept in one file as a series of pickled batches after a header: saving appends
    what was added since loading, so a build that adds 200 papers to 100,000 writes 200
    entries, not the whole catalog. The file is rewritten whole when most of it is stale."""

    def __init__(self, path: Path, header: tuple):
        super().__init__()
        self.path = path
        self.header = header
        self.stored = 0  # entries in the file, stale ones included
        self.added: dict[str, Any] = {}
        self.readable = False  # a missing, older or damaged file is rewritten, never appended to
        try:
            with path.open("rb") as handle:
                if pickle.load(handle) != header:
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
            write_pickled(self.path, self.header, live)
            self.stored, self.readable = len(live), True
        elif self.added:
            with self.path.open("ab") as handle:
                pickle.dump(self.added, handle, protocol=pickle.HIGHEST_PROTOCOL)
            self.stored += len(self.added)
        self.added = {}
