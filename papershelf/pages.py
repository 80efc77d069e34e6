"""The site plan: every page the site has, as (output path, template, context). Pure.

Lists are paginated in fixed pages counted from the oldest paper, so that a new dump
changes only the newest pages (plus the front page of each list, which shows the newest
papers): older page URLs keep their content and their place in search engines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from papershelf.catalog import Catalog, day_label
from papershelf.paper import Paper
from papershelf.store import ContentPage

MAIN_TAGS = 12
T = TypeVar("T")


def paper_path(slug: str) -> str:
    """A paper's page: a file, not a folder of its own, since creating folders and files is
    most of what writing a large site costs (`papers/x.html` is one, `papers/x/index.html` two)."""
    return f"papers/{slug}.html"


@dataclass(frozen=True)
class Page:
    path: str  # output file, relative to the site root: "tags/x/index.html"
    template: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def url_path(self) -> str:
        """The path a link uses: folders end in "/", files keep their name."""
        return self.path.removesuffix("index.html")


@dataclass(frozen=True)
class TagSummary:
    """A tag as pages show it. Page contexts hold only plain data like this, never the
    catalog's objects: everything a template can read is in the page's fingerprint."""

    name: str
    slug: str
    count: int


@dataclass(frozen=True)
class ListingSummary:
    """A dump as the listings show it: its name, title, URL and how many papers it listed
    and brought first."""

    name: str
    title: str
    slug: str
    count: int
    new_count: int


@dataclass(frozen=True)
class PageLink:
    number: int
    url_path: str


@dataclass(frozen=True)
class Archive:
    """One stable page of a list: `number` counts from the oldest page (1). It links only
    to its neighbours and the list's front page, so it changes only when its own papers do
    or a newer page appears next to it."""

    number: int
    papers: list[Paper]  # newest first
    newer: PageLink | None
    older: PageLink | None
    front: str
    first: int  # the papers it holds, counted from the list's oldest (1)
    last: int
    added: tuple[str, str]  # the days its oldest and newest papers arrived


@dataclass(frozen=True)
class Numbered:
    """One page of a list that does not grow (a listing), cut in pages numbered from its
    start: the page's number, a link to every page, and which items it shows (from 1)."""

    number: int
    links: tuple[PageLink, ...]
    first: int
    last: int


def numbered_pages(items: list[T], per_page: int, prefix: str) -> list[tuple[str, Numbered, list[T]]]:
    """(output path, page, its items): the first page at `prefix`, the next at
    `prefix`page/2/ and so on."""
    parts = stable_parts(items, per_page)
    links = tuple(PageLink(number, prefix if number == 1 else f"{prefix}page/{number}/") for number in range(1, len(parts) + 1))
    return [
        (f"{link.url_path}index.html", Numbered(link.number, links, (link.number - 1) * per_page + 1, (link.number - 1) * per_page + len(part)), part)
        for link, part in zip(links, parts)
    ]


def stable_parts(oldest_first: list[T], size: int) -> list[list[T]]:
    """Fixed-size parts counted from the oldest item (at least one, maybe empty): a list that
    grows at its new end changes only its last part."""
    return [oldest_first[start : start + size] for start in range(0, len(oldest_first), size)] or [[]]


def archive_pages(papers_newest_first: list[Paper], per_page: int, prefix: str, arrived: Callable[[Paper], str]) -> list[tuple[str, Archive]]:
    """Split a list into fixed pages numbered from the oldest: page 1 holds the oldest
    `per_page` papers, the highest number the newest (possibly partial) rest."""
    parts = stable_parts(papers_newest_first[::-1], per_page)
    count = len(parts)
    result = []
    for number, chunk in enumerate(parts, 1):
        result.append(
            (
                f"{prefix}page/{number}/index.html",
                Archive(
                    number=number,
                    papers=chunk[::-1],
                    newer=PageLink(number + 1, f"{prefix}page/{number + 1}/") if number < count else None,
                    older=PageLink(number - 1, f"{prefix}page/{number - 1}/") if number > 1 else None,
                    front=prefix,
                    first=(number - 1) * per_page + 1,
                    last=(number - 1) * per_page + len(chunk),
                    added=(_day(min(map(arrived, chunk))), _day(max(map(arrived, chunk)))),
                ),
            )
        )
    return result


def _day(moment: str) -> str:
    return day_label(date.fromisoformat(moment[:10]))


def front_papers(total: int, per_page: int) -> int:
    """How many of a list's newest papers its front page shows: the newest archive page's
    papers, and the page before them when those are fewer than `per_page`. "Older" then
    leads to the first archive page the front does not show: nothing is shown twice."""
    if total <= per_page:
        return total
    newest = total % per_page or per_page
    return newest if newest == per_page else newest + per_page


def _list_pages(
    papers: list[Paper],
    per_page: int,
    prefix: str,
    template: str,
    context: dict[str, Any],
    front_only: dict[str, Any],
    arrived: Callable[[Paper], str],
) -> list[Page]:
    """A list's front page (newest papers) and, when it does not fit, its archive pages.
    Archive pages get only `context`, so that they stay the same while the list grows."""
    shown = front_papers(len(papers), per_page)
    older = (len(papers) - shown) // per_page
    front = dict(context, **front_only, papers=papers[:shown], older_url=f"{prefix}page/{older}/" if older else None, archive=None)
    pages = [Page(f"{prefix}index.html", template, front)]
    if len(papers) > per_page:
        for path, archive in archive_pages(papers, per_page, prefix, arrived):
            pages.append(Page(path, template, dict(context, papers=archive.papers, archive=archive, older_url=None)))
    return pages


def plan_site(
    catalog: Catalog,
    related: dict[str, list[Paper]],
    content_pages: list[ContentPage],
    per_page: int,
    search_manifest: str,
) -> list[Page]:
    """Every HTML page of the site. Feeds, sitemap and data files are planned by the builder."""
    counts = {"papers": len(catalog.papers), "tags": len(catalog.tags), "listings": len(catalog.listings)}
    summaries = {tag.name: TagSummary(tag.name, tag.slug, len(tag.papers)) for tag in catalog.tags}
    tags_by_count = sorted(summaries.values(), key=lambda t: (-t.count, t.name.casefold()))
    tags_by_name = sorted(summaries.values(), key=lambda t: t.name.casefold())
    listings = [
        ListingSummary(listing.record.name, listing.title, listing.slug, len(listing.papers), len(listing.new_papers))
        for listing in catalog.listings
    ]
    # The front page shows the newest papers; older ones are browsed by listing (the dumps,
    # newest first), which hold every paper in the order it came: an archive of all papers
    # besides would repeat each of them once more.
    front = {"main_tags": tags_by_count[:MAIN_TAGS], "catalog_counts": counts, "papers": catalog.papers[:per_page]}
    pages = [Page("index.html", "index.html", front)]
    for paper in catalog.papers:
        pages.append(
            Page(
                paper_path(paper.slug),
                "paper.html",
                {
                    "paper": paper,
                    "tags": catalog.paper_tags(paper),
                    "related": related.get(paper.id, []),
                    "sources": [(s, catalog.listing_by_dump[s.dump].label if s.dump in catalog.listing_by_dump else None) for s in paper.sources],
                },
            )
        )
    pages.append(Page("tags/index.html", "tags.html", {"by_count": tags_by_count, "by_name": tags_by_name}))
    for tag in catalog.tags:
        pages += _list_pages(
            tag.papers, per_page, f"tags/{tag.slug}/", "tag.html", {"tag": tag.label}, {"tag": summaries[tag.name]}, catalog.arrived
        )
    pages.append(Page("listings/index.html", "listings.html", {"listings": listings}))
    for listing, summary in zip(catalog.listings, listings):
        for path, numbered, papers in numbered_pages(listing.papers, per_page, f"listings/{listing.slug}/"):
            seen_ids = sorted(paper.id for paper in papers if paper.id not in listing.new_papers)
            context = {"listing": summary, "papers": papers, "seen_ids": seen_ids, "numbered": numbered}
            pages.append(Page(path, "listing.html", context))
    for slug, title, body in content_pages:
        pages.append(Page(f"{slug}/index.html", "page.html", {"title": title, "body": body}))
    pages.append(
        Page(
            "search/index.html",
            "search.html",
            {"tags": tags_by_name, "catalog_counts": counts, "search_manifest": search_manifest},
        )
    )
    pages.append(Page("saved/index.html", "saved.html", {}))  # filled in the browser (site.js)
    pages.append(Page("404.html", "404.html", {}))
    return pages
