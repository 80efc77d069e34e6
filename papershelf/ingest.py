"""Ingest: merge parsed dumps into the content store without losing a hand edit.

Dump-derived text (title, abstract, links) is written when a paper is first seen and never
overwritten afterwards, so corrections made in the YAML files stay. Later dumps only add
sources, fill an abstract that was missing, and refresh the automatic tags.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from papershelf.digests import FileDigests
from papershelf.dumps import Dump, Entry, ParseWarning, parse_dump_bytes, read_dump_bytes
from papershelf.errors import PapershelfError
from papershelf.links import find_links
from papershelf.memory import collector_paused
from papershelf.paper import Link, Paper, Source, paper_id, short_name, title_slug, unique_slug
from papershelf.parallel import PARALLEL_FROM, map_each
from papershelf.store import PAPERS_DIR, DumpRecord, Parsed, Store, load_ledger, load_store, save_store
from papershelf.tagging import Tagger, merge_tags


@dataclass
class IngestReport:
    dumps_read: list[str] = field(default_factory=list)
    dumps_skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    files_written: int = 0

    def summary(self) -> str:
        return (
            f"ingest: {len(self.dumps_read)} dumps read, {len(self.dumps_skipped)} unchanged and skipped, "
            f"{len(self.errors)} refused; papers: {self.new} new, {self.updated} updated, "
            f"{self.unchanged} unchanged; {len(self.warnings)} warnings; {self.files_written} files written"
        )


@dataclass(frozen=True)
class Draft:
    """What a dump entry makes of a paper, worked out as the dump is parsed (in parallel for
    many dumps): all but a slug no other paper has, and the tags."""

    id: str
    slug: str  # the title's slug; merging makes it unique
    short_name: str | None
    links: list[dict[str, str]]


def draft(entry: Entry) -> Draft:
    return Draft(paper_id(entry.title), title_slug(entry.title), short_name(entry.title), find_links(entry.abstract))


@dataclass
class ParsedDump:
    dump: Dump
    drafts: list[Draft]  # one per entry


def parse_dump_file(path: Path) -> ParsedDump:
    dump = parse_dump_bytes(read_dump_bytes(path), path)
    return ParsedDump(dump, [draft(entry) for entry in dump.entries])


def _new_paper(entry: Entry, draft: Draft, source: Source, taken: set[str]) -> Paper:
    return Paper(
        id=draft.id,
        slug=unique_slug(draft.slug, draft.id, taken),
        title=entry.title,
        short_name=draft.short_name,
        abstract=entry.abstract,
        links=[Link.model_validate(link) for link in draft.links],
        first_seen=source.dump,
        sources=[source],
    )


def _add_source(paper: Paper, source: Source, entry: Entry, draft: Draft) -> None:
    others = [existing for existing in paper.sources if existing.dump != source.dump]
    paper.sources = others + [source]
    if not paper.abstract and entry.abstract:
        paper.abstract = entry.abstract
        known = {link.url for link in paper.links}
        paper.links += [Link.model_validate(link) for link in draft.links if link["url"] not in known]


def merge_dump(store: Store, parsed: ParsedDump, taken: set[str], now: str) -> tuple[set[str], list[ParseWarning]]:
    """Add one parsed dump's entries to the store, in place. Returns the ids of the papers
    it lists, and warnings for papers it lists more than once (kept once, at their first
    position). `taken` is the set of slugs in use, kept up to date across dumps; `now` is
    when this ingest runs, the date a new version of a dump is recorded with."""
    dump = parsed.dump
    warnings: list[ParseWarning] = []
    seen_here: dict[str, int] = {}
    for entry, draft in zip(dump.entries, parsed.drafts):
        identifier = draft.id
        if identifier in seen_here:
            warnings.append(
                ParseWarning(
                    dump.name,
                    entry.line,
                    f"{entry.title!r} is listed again (first at position {seen_here[identifier]}); kept once",
                )
            )
            continue
        seen_here[identifier] = entry.position
        source = Source(dump=dump.name, position=entry.position, date=dump.date)
        if identifier in store.papers:
            _add_source(store.papers[identifier], source, entry, draft)
        else:
            paper = _new_paper(entry, draft, source, taken)
            taken.add(paper.slug)
            store.papers[identifier] = paper
    earlier = next((r for r in store.dumps if r.name == dump.name and r.sha256 == dump.sha256), None)
    record = DumpRecord(
        name=dump.name,
        sha256=dump.sha256,
        date=dump.date,
        ingested=earlier.ingested if earlier is not None and earlier.ingested else now,
        papers=len(seen_here),
        warnings=[str(w) for w in dump.warnings + warnings],
    )
    store.dumps = [r for r in store.dumps if r.name != dump.name] + [record]
    return set(seen_here), warnings


def retag(papers: list[Paper], tagger: Tagger) -> None:
    """Apply the tag rules to papers, keeping hand edits."""
    found = map_each(lambda paper: tagger.tags_for(paper.title, paper.abstract), papers, PARALLEL_FROM["tag papers"])
    for paper, new_auto in zip(papers, found):
        paper.tags = merge_tags(paper.tags, paper.auto_tags, new_auto)
        paper.auto_tags = new_auto


def ingest(store: Store, dumps: list[ParsedDump], tagger: Tagger, now: str, retag_all: bool = True) -> tuple[IngestReport, set[str]]:
    """Merge dumps into the store and tag what they touched (everything when the rules
    changed). Returns the report and the ids of papers new or changed."""
    report = IngestReport()
    touched: set[str] = set(store.papers) if retag_all else set()
    before: dict[str, dict] = {}

    def remember(ids: set[str]) -> None:
        for pid in ids - before.keys():
            if pid in store.papers:
                before[pid] = store.papers[pid].to_data()

    remember(touched)
    taken = store.taken_slugs()
    for parsed in dumps:
        dump = parsed.dump
        report.dumps_read.append(dump.name)
        remember({draft.id for draft in parsed.drafts})
        ids, warnings = merge_dump(store, parsed, taken, now)
        touched |= ids
        report.warnings += [str(warning) for warning in dump.warnings + warnings]
    retag([store.papers[pid] for pid in sorted(touched)], tagger)
    changed = set()
    for pid in touched:
        if pid not in before:
            report.new += 1
            changed.add(pid)
        elif before[pid] != store.papers[pid].to_data():
            report.updated += 1
            changed.add(pid)
    report.unchanged = len(store.papers) - report.new - report.updated
    return report, changed


def _parse_or_refuse(path: Path) -> ParsedDump | PapershelfError:
    try:
        return parse_dump_file(path)
    except PapershelfError as error:
        return error


def read_dumps(paths: list[Path]) -> list[ParsedDump | PapershelfError]:
    """Parse dump files (on every core when there are many): each gives its parse, or the
    error that refuses it."""
    return map_each(_parse_or_refuse, paths, PARALLEL_FROM["parse dumps"])


def dump_paths(dumps_dir: Path) -> list[Path]:
    """Every dump of the catalog, in name order: name dumps so they sort in arrival order.
    Symbolic links are listed too, so that ingest refuses them by name."""
    return sorted(path for path in dumps_dir.glob("*.txt") if path.is_file() or path.is_symlink())


def refusal(path: Path, dumps_dir: Path) -> PapershelfError | None:
    """Why a dump may not be read, if it may not: only regular files of the dumps folder are
    read, never a symbolic link (its target would be published) or a file outside it."""
    if path.is_symlink():
        return PapershelfError(path, "refused: a dump must be a file in the dumps folder, not a symbolic link")
    if path.resolve().parent != dumps_dir.resolve():
        return PapershelfError(path, f"refused: a dump must be a file in the dumps folder {dumps_dir} (`build.py add` copies it there)")
    return None


def ingest_time() -> str:
    """Now, in UTC to the second: SOURCE_DATE_EPOCH when set (a reproducible run), else the
    clock. The one place the clock is read: dates on the site come from the content."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), tz=UTC) if epoch else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def copy_refusal(path: Path, same: str) -> PapershelfError:
    return PapershelfError(path, f"refused: the same bytes as the dump {same}, which would list its papers twice (remove one of them)")


@dataclass
class Remembered:
    """What an ingest reuses from the runs before, and adds to for the next: the command
    keeps it in the cache. Digests of dump files and of paper files (reused while a file's
    status stays the same), the papers parsed before, and the digest of the tag rules the
    store was last tagged with. Nothing remembered: every dump and paper file is read."""

    dump_digests: FileDigests = field(default_factory=FileDigests)
    paper_digests: FileDigests | None = None
    parsed: Parsed | None = None
    tag_rules: str | None = None


@collector_paused()
def run_ingest(
    content_dir: Path, dumps_dir: Path, paths: list[Path], tagger: Tagger, skip_known: bool, remembered: Remembered | None = None
) -> tuple[IngestReport, Store | None]:
    """Read dumps and update the store on disk. Dumps that cannot be read are refused one by
    one; a bad content file stops everything before anything is written. With nothing new
    to read and the same tag rules as last time, the store is not even loaded. Returns the
    store as written, when it was loaded: a build that follows need not read it again."""
    remembered = remembered if remembered is not None else Remembered()
    retag_all = remembered.tag_rules != tagger.digest
    known = {record.name: record.sha256 for record in load_ledger(content_dir)}
    # Which dump holds which content: a copy under another name would list its papers twice.
    names_by_digest = {digest: name for name, digest in known.items()}
    digests = remembered.dump_digests
    report = IngestReport()
    to_read = []
    for path in paths:
        refused = refusal(path, dumps_dir)
        if refused is not None:
            report.errors.append(str(refused))
            continue
        try:
            digest = digests.digest(path)
        except OSError as error:
            report.errors.append(f"{path}: cannot read: {error.strerror}")
            continue
        same = names_by_digest.setdefault(digest, path.name)
        if same != path.name:
            report.errors.append(str(copy_refusal(path, same)))
        elif skip_known and known.get(path.name) == digest:
            report.dumps_skipped.append(path.name)
        else:
            to_read.append(path)
    dumps: list[ParsedDump] = []
    for result in read_dumps(to_read):
        if isinstance(result, PapershelfError):
            report.errors.append(str(result))
        else:
            dumps.append(result)
    if not dumps and not retag_all:
        with os.scandir(content_dir / PAPERS_DIR) as entries:
            report.unchanged = sum(1 for entry in entries if entry.name.endswith(".yaml"))
        return report, None
    store = load_store(content_dir, remembered.parsed, remembered.paper_digests)
    merged, changed = ingest(store, dumps, tagger, ingest_time(), retag_all)
    merged.errors, merged.dumps_skipped = report.errors, report.dumps_skipped
    merged.files_written = save_store(store, changed, remembered.parsed, remembered.paper_digests)["written"]
    remembered.tag_rules = tagger.digest
    return merged, store
