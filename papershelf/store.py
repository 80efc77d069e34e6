"""The content store: `content/papers/<slug>.yaml`, one hand-editable file per paper,
`content/dumps.yaml`, the ledger of ingested dumps, and `content/pages/*.md`, the site's
own pages (about, ...). Reading validates everything before anything is written, so a bad
file stops the run with nothing changed."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from markupsafe import Markup
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from papershelf.digests import FileDigests, sha256
from papershelf.errors import PapershelfError
from papershelf.markup import render_markdown
from papershelf.paper import STRICT, Paper
from papershelf.parallel import PARALLEL_FROM, map_each
from papershelf.validation import invalid
from papershelf.yamlio import line_of, parse_yaml, read_text, to_yaml, write_atomic

PAPERS_DIR = "papers"
LEDGER_FILE = "dumps.yaml"
PAGES_DIR = "pages"
# URLs of the site's own sections: no content page may take one.
RESERVED_SLUGS = frozenset({"papers", "tags", "listings", "search", "saved", "assets", "page", "data", "sitemaps"})
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class DumpRecord(BaseModel):
    """What the ledger remembers of an ingested dump."""

    model_config = STRICT

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    date: str | None = None  # the listing's own date, as the dump prints it ("Mar 12")
    # When this version of the dump was ingested (UTC): when its new papers arrived.
    ingested: str | None = Field(default=None, pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    papers: int = Field(ge=0)
    warnings: list[str] = []


DUMP_RECORDS = TypeAdapter(list[DumpRecord])


@dataclass
class Store:
    """The whole catalog in memory, keyed by paper id, and the dumps it came from in
    ingest order."""

    root: Path
    papers: dict[str, Paper] = field(default_factory=dict)
    dumps: list[DumpRecord] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # paper id -> digest of its file

    @property
    def papers_dir(self) -> Path:
        return self.root / PAPERS_DIR

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER_FILE

    def taken_slugs(self) -> set[str]:
        return {paper.slug for paper in self.papers.values()}


def load_paper(path: Path, text: str) -> Paper:
    data = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise PapershelfError(path, "a paper file must be a mapping of keys to values", 1)
    try:
        paper = Paper.model_validate(data)
    except ValidationError as error:
        raise invalid(path, text, error, Paper) from None
    return paper


def check_file_name(path: Path | str, paper: Paper) -> None:
    """A paper's file is named by its slug: a copied or renamed file is refused (whether or
    not its text was parsed before), since its page would be made under another name."""
    name = os.path.basename(path)
    if name != f"{paper.slug}.yaml":
        path = Path(path)
        raise PapershelfError(path, f"`slug`: '{paper.slug}' does not match the file name {name}", _line_in_file(path, ("slug",)))


def _line_in_file(path: Path, location: tuple[str | int, ...]) -> int | None:
    try:
        return line_of(path.read_text(encoding="utf-8"), location)
    except (OSError, UnicodeDecodeError):
        return None


# Papers parsed before, by the digest of their file's text: a memo the caller keeps
# between runs (the cache's "parsed papers"), to which each load adds what it parses.
Parsed = MutableMapping[str, Paper]


def _read_paper(path: Path, parsed: Parsed | None) -> tuple[Paper | None, str, os.stat_result] | PapershelfError:
    """A paper file read, digested and parsed, or None for the paper when `parsed` knows
    its text (a worker need not send it back); or what is wrong with the file."""
    try:
        data = path.read_bytes()
        stat = path.stat()
    except OSError as error:
        return PapershelfError(path, f"cannot read: {error.strerror}")
    digest = sha256(data)
    if parsed is not None and isinstance(parsed.get(digest), Paper):
        return None, digest, stat
    try:
        return load_paper(path, data.decode("utf-8")), digest, stat
    except UnicodeDecodeError:
        return PapershelfError(path, "not UTF-8 text")
    except PapershelfError as error:
        return error


def paper_files(folder: Path) -> list[str]:
    """The paper files of the store, in name order, as strings: at 100,000 files, making,
    hashing and printing Path objects costs a second."""
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries if entry.name.endswith(".yaml") and entry.is_file())
    return [os.path.join(folder, name) for name in names]


def load_store(root: Path, parsed: Parsed | None = None, digests: FileDigests | None = None) -> Store:
    """Load and validate the whole store. Given the papers `parsed` before, untouched files
    (by `digests`) are not read and files whose text was parsed before are not parsed
    again; the rest are parsed on every core when there are many. A bad file stops the
    load, the first in name order named."""
    store = Store(root)
    digests = digests if digests is not None else FileDigests()
    paths = paper_files(store.papers_dir)
    loaded: dict[str, tuple[Paper, str]] = {}
    if parsed is not None:  # untouched files whose text was parsed before are not read
        for path in paths:
            digest = digests.known_digest(path)
            paper = parsed.get(digest) if digest is not None else None
            if isinstance(paper, Paper) and digest is not None:
                loaded[path] = (paper, digest)
    to_read = [path for path in paths if path not in loaded]
    for path, result in zip(to_read, map_each(lambda path: _read_paper(Path(path), parsed), to_read, PARALLEL_FROM["read paper files"], slices_per_worker=8)):
        if isinstance(result, PapershelfError):
            raise result
        paper, digest, stat = result
        digests.remember(path, digest, stat)
        if parsed is None:
            assert paper is not None
            loaded[path] = (paper, "")
            continue
        if paper is not None:
            parsed[digest] = paper
        loaded[path] = (parsed[digest], digest)
    # Checked for every file, whatever the caches knew of it.
    file_of: dict[str, str] = {}
    for path in paths:
        paper, digest = loaded[path]
        check_file_name(path, paper)
        if paper.id in file_of:
            first = file_of[paper.id]
            raise PapershelfError(
                Path(path), f"`id`: {paper.id} is also the id of {first}: one paper, two files", _line_in_file(Path(path), ("id",))
            )
        file_of[paper.id] = path
        store.digests[paper.id] = digest
        store.papers[paper.id] = paper
    store.dumps = load_ledger(root)
    return store


class ContentPage(NamedTuple):
    slug: str  # its URL is /<slug>/
    title: str
    body: Markup  # the Markdown rendered and sanitized


def load_content_pages(folder: Path) -> list[ContentPage]:
    """Markdown pages (`about.md` → /about/): the first `# ` heading is the title."""
    pages = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        slug = path.stem.lower()
        if not _SLUG.match(slug) or slug in RESERVED_SLUGS:
            raise PapershelfError(path, f"the file name gives the URL /{slug}/, which is not allowed")
        if slug in seen:
            raise PapershelfError(path, f"the file name gives the URL /{slug}/, as {seen[slug].name} does: rename one of them")
        if path.is_symlink():
            raise PapershelfError(path, "refused: a content page must be a file, not a symbolic link (its target would be published)")
        seen[slug] = path
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise PapershelfError(path, "not UTF-8 text") from None
        first, _, rest = text.partition("\n")
        if first.startswith("# "):
            title, body = first[2:].strip(), rest
        else:
            title, body = slug.replace("-", " ").title(), text
        pages.append(ContentPage(slug, title, render_markdown(body)))
    return pages


def load_ledger(root: Path) -> list[DumpRecord]:
    path = root / LEDGER_FILE
    if not path.exists():
        return []
    text = read_text(path)
    data = parse_yaml(text, path) or []
    if not isinstance(data, list):
        raise PapershelfError(path, "the ledger must be a list of dumps", 1)
    try:
        return DUMP_RECORDS.validate_python(data)
    except ValidationError as error:
        raise invalid(path, text, error, DumpRecord) from None


def paper_yaml(paper: Paper) -> str:
    return to_yaml(paper.to_data())


def _write_paper(path: Path, paper: Paper, new_folder: bool) -> tuple[str, os.stat_result] | None:
    """Write one paper file unless the same text is already there; the digest of the text
    and the file's status when it was written. In a folder that becomes the store only
    once complete (`new_folder`), files are written as they are: nobody can read them
    half-written, and a rename per file costs several times what writing it does."""
    data = paper_yaml(paper).encode("utf-8")
    if new_folder:
        path.write_bytes(data)
    elif not path.is_file() or path.read_bytes() != data:
        write_atomic(path, data)
    else:
        return None
    return sha256(data), path.stat()


def save_store(store: Store, changed: set[str] | None = None, parsed: Parsed | None = None, digests: FileDigests | None = None) -> dict[str, int]:
    """Write the papers in `changed` (all when None) and the ledger; a file whose text is
    already on disk is left untouched (same bytes, same modification time). Written papers
    go into `parsed` and `digests`, so the build that follows neither reads nor parses them."""
    ids = store.papers.keys() if changed is None else changed
    papers = sorted((store.papers[pid] for pid in ids), key=lambda paper: paper.slug)
    folder = store.papers_dir
    # The store's first write (every paper new) fills a folder beside it that becomes the
    # store once complete; later writes replace files one by one, each atomically.
    first = not folder.is_dir()
    target = folder.with_name(f".{folder.name}-new") if first else folder
    if first:
        shutil.rmtree(target, ignore_errors=True)  # what an interrupted first write left
    target.mkdir(parents=True, exist_ok=True)
    results = map_each(lambda paper: _write_paper(target / f"{paper.slug}.yaml", paper, first), papers, PARALLEL_FROM["write paper files"], slices_per_worker=8)
    if first:
        target.rename(folder)
    written = sum(result is not None for result in results)
    if parsed is not None and digests is not None:
        for paper, result in zip(papers, results):
            if result is not None:
                digest, stat = result
                parsed[digest] = paper
                store.digests[paper.id] = digest
                digests.remember(os.path.join(folder, f"{paper.slug}.yaml"), digest, stat)
    # The ledger goes last: if a run is interrupted, the dump is not marked as ingested
    # and the next run merges it again (merging is idempotent).
    ledger = to_yaml([record.model_dump(exclude_none=True) for record in store.dumps])
    if not store.ledger_path.exists() or store.ledger_path.read_text(encoding="utf-8") != ledger:
        write_atomic(store.ledger_path, ledger)
        written += 1
    return {"written": written, "unchanged": len(papers) + 1 - written}
