"""The catalog as the site shows it: visible papers in newest-first order, their tags and
the dumps (listings) they came from. Pure: built from the store, no I/O.

"Newest" follows the order dumps arrived in (the ledger, which is name order for dumps that
are named to sort in arrival order) and each paper's position in its first dump, never the
clock of the machine that builds; a paper's date is when its first dump was ingested.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from slugify import slugify

from papershelf.paper import Paper, unique_slug
from papershelf.store import DumpRecord, Store, load_store
from papershelf.tagging import tag_slug

if TYPE_CHECKING:
    from papershelf.config import Settings

# The date of a paper whose first dump has no recorded ingest date (a ledger written before
# Papershelf recorded them: `build.py ingest DUMP` records one).
UNKNOWN_DATE = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class Label:
    """What a link to a tag or listing shows: its name and slug, not its size, so a page
    that only links to it does not change as it grows."""

    name: str
    slug: str


@dataclass
class Tag:
    name: str
    slug: str
    papers: list[Paper] = field(default_factory=list)  # newest first

    def __post_init__(self) -> None:
        self.label = Label(self.name, self.slug)


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def listing_day(printed: str | None, ingested: str | None) -> date | None:
    """The day a listing page shows ("Mar 12", "March 12, 2024"), with its year: the one
    printed, else the latest year that puts the day on or before the day it was ingested."""
    if not printed:
        return None
    words = printed.replace(",", " ").replace(".", " ").split()
    try:
        month, day = MONTHS.index(words[0][:3].lower()) + 1, int(words[1])
        if len(words) > 2:
            return date(int(words[2]), month, day)
        if ingested is None:
            return None
        added = date.fromisoformat(ingested[:10])
        year = added.year if (month, day) <= (added.month, added.day) else added.year - 1
        return date(year, month, day)
    except (ValueError, IndexError):
        return None


def day_label(day: date) -> str:
    return f"{MONTHS[day.month - 1].title()} {day.day}, {day.year}"


@dataclass
class Listing:
    """One dump as a page: what it listed, in its order, and which papers were new with it.
    It is named by the day its page shows, else the day it was added, else its file."""

    record: DumpRecord
    slug: str
    order: int  # 0 for the first dump ingested
    papers: list[Paper] = field(default_factory=list)
    new_papers: set[str] = field(default_factory=set)  # ids first seen in this dump
    title: str = ""  # see build_catalog: unique among the listings

    def __post_init__(self) -> None:
        self.day = listing_day(self.record.date, self.record.ingested)
        self.added = date.fromisoformat(self.record.ingested[:10]) if self.record.ingested else None
        if self.day is not None:
            self.title = day_label(self.day)
        elif self.added is not None:
            self.title = f"Added {day_label(self.added)}"
        else:
            self.title = self.stem

    @property
    def stem(self) -> str:
        return self.record.name.rsplit(".", 1)[0]

    @property
    def newest_first(self) -> tuple[date, int]:
        """Listings sort by the day they show (else the day they were added), then arrival."""
        return (self.day or self.added or date.min, self.order)

    @cached_property
    def label(self) -> Label:  # one per listing: every page of its papers links to it
        return Label(self.title, self.slug)


@dataclass
class Catalog:
    papers: list[Paper]  # visible papers, newest first
    tags: list[Tag]  # in the config's order, then hand-made tags by name
    listings: list[Listing]  # newest first
    tag_by_name: dict[str, Tag]
    listing_by_dump: dict[str, Listing]
    tags_by_paper: dict[str, list[Label]]  # paper id -> its tags

    def paper_tags(self, paper: Paper) -> list[Label]:
        return self.tags_by_paper[paper.id]

    def arrived(self, paper: Paper) -> str:
        """When the paper arrived: when its first dump was ingested (UTC, ISO 8601)."""
        listing = self.listing_by_dump.get(paper.first_seen)
        return (listing.record.ingested if listing is not None else None) or UNKNOWN_DATE


def listing_slug(dump_name: str) -> str:
    return slugify(dump_name.rsplit(".", 1)[0]) or "dump"


def unique_listing_slug(dump_name: str, taken: set[str]) -> str:
    """The dump's slug, or when an earlier dump has it (`030 my dump.txt`, `030_my_dump.txt`),
    the slug with the start of a digest of the dump's name, as paper slugs take their id's:
    a page for each, the same each build."""
    return unique_slug(listing_slug(dump_name), hashlib.sha256(dump_name.encode("utf-8")).hexdigest(), taken)


def build_catalog(store: Store, tag_order: list[str], tag_slugs: dict[str, str]) -> Catalog:
    dump_order = {record.name: index for index, record in enumerate(store.dumps)}
    unknown = len(dump_order)

    def age(paper: Paper) -> tuple[int, int, str]:
        first = next((s for s in paper.sources if s.dump == paper.first_seen), paper.sources[0])
        return (-dump_order.get(first.dump, unknown), first.position, paper.id)

    papers = sorted((p for p in store.papers.values() if not p.hidden), key=age)

    tags: dict[str, Tag] = {}
    for name in tag_order:
        tags[name] = Tag(name, tag_slugs.get(name) or tag_slug(name))
    hand_made = sorted({t for p in papers for t in p.tags} - set(tags), key=str.casefold)
    used_slugs = {tag.slug for tag in tags.values()}
    for name in hand_made:
        slug = tag_slug(name)
        while slug in used_slugs:
            slug += "-1"
        used_slugs.add(slug)
        tags[name] = Tag(name, slug)
    for paper in papers:
        for name in paper.tags:
            tags[name].papers.append(paper)
    used_tags = [tag for tag in tags.values() if tag.papers]

    listings: dict[str, Listing] = {}
    listing_slugs: set[str] = set()
    for order, record in enumerate(store.dumps):
        slug = unique_listing_slug(record.name, listing_slugs)
        listing_slugs.add(slug)
        listings[record.name] = Listing(record, slug, order)
    positions: dict[str, list[tuple[int, int, Paper]]] = {name: [] for name in listings}
    for number, paper in enumerate(papers):
        for source in paper.sources:
            if source.dump in listings:
                positions[source.dump].append((source.position, number, paper))
                if source.dump == paper.first_seen:
                    listings[source.dump].new_papers.add(paper.id)
    for name, listing in listings.items():
        listing.papers = [paper for _, _, paper in sorted(positions[name])]
    named: dict[str, int] = {}
    for listing in listings.values():
        named[listing.title] = named.get(listing.title, 0) + 1
    for listing in listings.values():
        if named[listing.title] > 1:  # two listings of one day: their files tell them apart
            listing.title = f"{listing.title} · {listing.stem}"
    ordered_listings = sorted(listings.values(), key=lambda listing: listing.newest_first, reverse=True)
    return Catalog(
        papers=papers,
        tags=used_tags,
        listings=ordered_listings,
        tag_by_name={tag.name: tag for tag in used_tags},
        listing_by_dump=listings,
        tags_by_paper={paper.id: [tags[name].label for name in paper.tags] for paper in papers},
    )


def load_catalog(settings: Settings, store: Store | None = None) -> Catalog:
    """The catalog of the settings' content store (loaded here unless given)."""
    store = store if store is not None else load_store(settings.content_dir)
    return build_catalog(store, [rule.name for rule in settings.config.tags], settings.tagger().slugs)
