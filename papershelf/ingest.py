"""Ingest: merge parsed dumps into the content store without losing a hand edit.

Dump-derived text (title, abstract, links) is written when a paper is first seen and never
overwritten afterwards, so corrections made in the YAML files stay. Later dumps only add
sources, fill an abstract that was missing, and refresh the automatic tags.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from papershelf.cache import Cache, FileDigests
from papershelf.dumps import Dump, ParseWarning, parse_dump_bytes, read_dump_bytes
from papershelf.errors import PapershelfError
from papershelf.links import find_links
from papershelf.paper import Link, Paper, Source, paper_id, short_name, unique_slug
from papershelf.store import PAPERS_DIR, DumpRecord, Store, load_ledger, load_store, save_store
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


def _new_paper(title: str, abstract: str, source: Source, taken: set[str]) -> Paper:
    identifier = paper_id(title)
    return Paper(
        id=identifier,
        slug=unique_slug(title, identifier, taken),
        title=title,
        short_name=short_name(title),
        abstract=abstract,
        links=[Link(**link) for link in find_links(abstract)],
        first_seen=source.dump,
        sources=[source],
    )


def _add_source(paper: Paper, source: Source, abstract: str) -> None:
    others = [existing for existing in paper.sources if existing.dump != source.dump]
    paper.sources = others + [source]
    if not paper.abstract and abstract:
        paper.abstract = abstract
        known = {link.url for link in paper.links}
        paper.links += [Link(**link) for link in find_links(abstract) if link["url"] not in known]


def merge_dump(store: Store, dump: Dump, taken: set[str]) -> tuple[set[str], list[ParseWarning]]:
    """Add one parsed dump's entries to the store, in place. Returns the ids of the papers
    it lists, and warnings for papers it lists more than once (kept once, at their first
    position). `taken` is the set of slugs in use, kept up to date across dumps."""
    warnings: list[ParseWarning] = []
    seen_here: dict[str, int] = {}
    for entry in dump.entries:
        identifier = paper_id(entry.title)
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
            _add_source(store.papers[identifier], source, entry.abstract)
        else:
            paper = _new_paper(entry.title, entry.abstract, source, taken)
            taken.add(paper.slug)
            store.papers[identifier] = paper
    record = DumpRecord(
        name=dump.name,
        sha256=dump.sha256,
        date=dump.date,
        papers=len(seen_here),
        warnings=[str(w) for w in dump.warnings + warnings],
    )
    store.dumps = [r for r in store.dumps if r.name != dump.name] + [record]
    return set(seen_here), warnings


def retag(papers: list[Paper], tagger: Tagger) -> None:
    """Apply the tag rules to papers, keeping hand edits."""
    for paper in papers:
        new_auto = tagger.tags_for(paper.title, paper.abstract)
        paper.tags = merge_tags(paper.tags, paper.auto_tags, new_auto)
        paper.auto_tags = new_auto


def ingest(store: Store, dumps: list[Dump], tagger: Tagger, retag_all: bool = True) -> tuple[IngestReport, set[str]]:
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
    for dump in dumps:
        report.dumps_read.append(dump.name)
        remember({paper_id(entry.title) for entry in dump.entries})
        ids, warnings = merge_dump(store, dump, taken)
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


def dump_paths(dumps_dir: Path) -> list[Path]:
    """Every dump of the catalog, in name order: name dumps so they sort in arrival order."""
    return sorted(path for path in dumps_dir.glob("*.txt") if path.is_file())


def run_ingest(
    content_dir: Path, paths: list[Path], tagger: Tagger, skip_known: bool, cache: Cache | None = None
) -> IngestReport:
    """Read dumps and update the store on disk. Dumps that cannot be read are refused one by
    one; a bad content file stops everything before anything is written. With nothing new
    to read and the same tag rules as last time, the store is not even loaded."""
    retag_all = cache is None or cache.tag_rules() != tagger.digest
    known = {record.name: record.sha256 for record in load_ledger(content_dir)}
    # Digests of dump files, reused while a file's size and modification time stay the same.
    digests = cache.dump_digests() if cache is not None else FileDigests()
    dumps: list[Dump] = []
    report = IngestReport()
    for path in paths:
        try:
            if skip_known and path.is_file() and known.get(path.name) == digests.digest(path):
                report.dumps_skipped.append(path.name)
                continue
            dumps.append(parse_dump_bytes(read_dump_bytes(path), path))
        except PapershelfError as error:
            report.errors.append(str(error))
        except OSError as error:
            report.errors.append(f"{path}: cannot read: {error.strerror}")
    if cache is not None:
        cache.save_dump_digests(digests)
    if not dumps and not retag_all:
        with os.scandir(content_dir / PAPERS_DIR) as entries:
            report.unchanged = sum(1 for entry in entries if entry.name.endswith(".yaml"))
        return report
    store = load_store(content_dir, cache, cache.load_state().files if cache is not None else None)
    merged, changed = ingest(store, dumps, tagger, retag_all)
    merged.errors, merged.dumps_skipped = report.errors, report.dumps_skipped
    merged.files_written = save_store(store, changed, cache)["written"]
    if cache is not None:
        cache.save_tag_rules(tagger.digest)
        cache.store = store
    return merged
