"""The plan of the site: every file it will have, each with what it is made from (the inputs
its fingerprint covers, which say whether it must be made again) and how to make it.
Pages, feeds, sitemaps, data files, assets and search files are all planned here, from one
record of what the site is made from (`SiteParts`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import jinja2

from papershelf.cache import code_digests
from papershelf.catalog import UNKNOWN_DATE, Catalog
from papershelf.config import Settings
from papershelf.errors import PapershelfError
from papershelf.fingerprint import Fingerprinter
from papershelf.gz import gzipped
from papershelf.linkcheck import DATA_INDEX
from papershelf.pages import ContentPage, Page, paper_path, plan_site, stable_parts
from papershelf.paper import Paper
from papershelf.parallel import PARALLEL_FROM, map_each
from papershelf.render import Assets, render_page

if TYPE_CHECKING:
    from papershelf.search.documents import SearchFiles

SITEMAP_URLS = 10_000  # per sitemap file (the protocol allows 50,000)
DATA_PAPERS = 1_000  # papers per data file


@dataclass(frozen=True)
class SiteParts:
    """What the site's files are made from."""

    settings: Settings
    catalog: Catalog
    paper_digests: dict[str, str]  # paper id -> digest of its file
    related: dict[str, list[Paper]]  # paper id -> its related papers
    content_pages: list[ContentPage]
    search: SearchFiles
    assets: Assets
    env: jinja2.Environment
    templates: dict[str, str]  # template path -> digest


@dataclass
class Output:
    """One file the site will have: what it is made from (`inputs`, whose fingerprint says
    whether the file must be made again) and how to make it."""

    inputs: tuple
    make: Callable[[], bytes]


class Outputs(dict[str, Output]):
    """Output path -> Output. A path planned twice is refused: one of the two files would
    be lost without a word."""

    def __setitem__(self, path: str, output: Output) -> None:
        if path in self:
            raise PapershelfError(path, "two files of the site would be written here: one of them would be lost")
        super().__setitem__(path, output)


@dataclass
class SitePlan:
    pages: list[Page]  # the HTML pages, also among the outputs
    outputs: Outputs
    fingerprinter: Fingerprinter

    def fingerprints(self) -> dict[str, str]:
        """Output path -> the fingerprint of its inputs (on every core for a large site)."""
        paths = list(self.outputs)
        return dict(zip(paths, map_each(lambda path: self.fingerprinter.of(*self.outputs[path].inputs), paths, PARALLEL_FROM["fingerprint outputs"])))


def plan_site_files(parts: SiteParts) -> SitePlan:
    """Every file of the site."""
    catalog, settings = parts.catalog, parts.settings
    tags_of = catalog.paper_tags
    # A paper is its file (every field) and the tags it resolves to (what `tags_of` gives).
    fingerprinter = Fingerprinter(lambda p: parts.paper_digests.get(p.id, "") + repr([(t.name, t.slug) for t in tags_of(p)]))
    # What every page may read besides its context: the templates' globals.
    common = fingerprinter.of(parts.templates, code_digests(), settings.site.model_dump(), parts.assets.names)
    pages = plan_site(catalog, parts.related, parts.content_pages, settings.site.papers_per_page, parts.search.manifest_path)
    outputs = Outputs()
    for page in pages:
        context = dict(page.context, page=page)
        outputs[page.path] = Output((common, page.template, page.path, page.context), _rendered(parts.env, page.template, context))
    _plan_feeds(outputs, parts, common)
    _plan_sitemaps(outputs, parts, common, pages)
    _plan_data_files(outputs, parts, common)
    for path, data in {**parts.assets.files, **parts.search.files}.items():
        # Their names hold a digest of their bytes: a new version is a new file.
        outputs[path] = Output(("content-named",), data if callable(data) else _constant(data))
    return SitePlan(pages, outputs, fingerprinter)


def _plan_feeds(outputs: Outputs, parts: SiteParts, common: str) -> None:
    """The site's feed and a feed per tag, of their newest papers."""
    catalog, site = parts.catalog, parts.settings.site
    feeds = [("feed.xml", site.title, catalog.papers)] + [(f"tags/{tag.slug}/feed.xml", f"{site.title}: {tag.name}", tag.papers) for tag in catalog.tags]
    for path, title, papers in feeds:
        # Entries are dated by their papers' arrival, which the ledger records.
        dates = [catalog.arrived(paper) for paper in papers[: site.feed_size]]
        context = {"papers": papers[: site.feed_size], "feed_path": path, "title": title, "updated": max(dates, default=UNKNOWN_DATE)}
        outputs[path] = Output((common, "feed", dates, context), _rendered(parts.env, "feed.xml", context))


def _plan_sitemaps(outputs: Outputs, parts: SiteParts, common: str, pages: list[Page]) -> None:
    """Sitemaps in parts of fixed size, the papers' parts counted from the oldest paper (a
    new dump changes the newest part only), their index and robots.txt."""
    paper_urls = [paper_path(p.slug) for p in parts.catalog.papers[::-1]]
    other_urls = [p.url_path for p in pages if p.path != "404.html" and not p.path.startswith("papers/")]
    # The protocol lets sitemaps be gzip-compressed: a URL's 150 bytes become 20 or so.
    sitemaps = [
        (f"sitemaps/{kind}-{number}.xml.gz", urls)
        for kind, all_urls in (("pages", other_urls), ("papers", paper_urls))
        for number, urls in enumerate(stable_parts(all_urls, SITEMAP_URLS), 1)
    ]
    for path, urls in sitemaps:
        outputs[path] = Output((common, "sitemap", urls), _compressed(_rendered(parts.env, "sitemap.xml", {"urls": urls})))
    index = [path for path, _ in sitemaps]
    outputs["sitemap.xml"] = Output((common, "sitemap-index", index), _rendered(parts.env, "sitemap-index.xml", {"sitemaps": index}))
    outputs["robots.txt"] = Output((common, "robots"), _rendered(parts.env, "robots.txt", {}))


def _plan_data_files(outputs: Outputs, parts: SiteParts, common: str) -> None:
    """The catalog as data, for programs: parts of fixed size counted from the oldest paper,
    stored compressed (they hold every abstract, as the paper pages do: `gz.py`), and an
    index of them."""
    absolute_url = cast(Callable[[str], str], parts.env.globals["absolute_url"])

    def data_part(papers: list[Paper]) -> Callable[[], bytes]:
        return lambda: gzipped(_json_records([paper_record(p, absolute_url(paper_path(p.slug))) for p in papers]))

    data_parts = [(f"data/papers-{number}.json.gz", papers) for number, papers in enumerate(stable_parts(parts.catalog.papers[::-1], DATA_PAPERS), 1)]
    for path, papers in data_parts:
        outputs[path] = Output((common, "data", papers), data_part(papers))
    # Parts by paths relative to papers.json, so they resolve wherever the site is served;
    # the base path it was built for is what `check` resolves its links under.
    contents = {
        "papers": len(parts.catalog.papers),
        "base_url": parts.settings.site.base_url,
        "compression": "gzip",
        "parts": [{"path": path, "papers": len(papers)} for path, papers in data_parts],
    }
    outputs[DATA_INDEX] = Output((common, "data index", contents), lambda: _json_file(contents))


def paper_record(paper: Paper, url: str) -> dict:
    """A paper in the data files: the public fields, for programs that want the catalog as data."""
    return {
        "id": paper.id,
        "slug": paper.slug,
        "url": url,
        "title": paper.title,
        "short_name": paper.short_name,
        "abstract": paper.abstract,
        "tags": paper.tags,
        "links": [link.model_dump() for link in paper.links],
        "sources": [source.model_dump(exclude_none=True) for source in paper.sources],
        "first_seen": paper.first_seen,
    }


def _rendered(env: jinja2.Environment, template: str, context: dict) -> Callable[[], bytes]:
    return lambda: render_page(env, template, context)


def _compressed(make: Callable[[], bytes]) -> Callable[[], bytes]:
    return lambda: gzipped(make())


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _json_file(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def _json_records(records: list[dict]) -> bytes:
    """A JSON array with one record per line: as easy to read and diff as an indented file,
    and written by json's C encoder (indenting takes its pure-Python path, several times
    slower: seconds for the 100,000 records of a large catalog)."""
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    return f"[\n{lines}\n]\n".encode() if records else b"[]\n"
