"""The build sequence: content store → catalog → related papers → pages → files → site/.

Every stage before the last is computed in memory; the site is written in one atomic swap
at the end, so a failure anywhere leaves the previous site as it was.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from papershelf.catalog import Catalog, build_catalog
from papershelf.config import Settings
from papershelf.errors import PapershelfError
from papershelf.markup import render_markdown
from papershelf.output import write_site
from papershelf.pages import Page, content_page_slug, plan_site
from papershelf.paper import Paper
from papershelf.related import related_papers
from papershelf.render import Assets, make_environment, render_page
from papershelf.search_index import SearchFiles, search_files
from papershelf.store import load_store

RESERVED_SLUGS = frozenset({"papers", "tags", "listings", "search", "assets", "page"})
# lunr.js comes from the npm package installed by `npm ci`, never from a copy in the repo.
LUNR_JS = Path(__file__).resolve().parent.parent / "node_modules" / "lunr" / "lunr.min.js"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class BuildReport:
    pages: int = 0
    files: int = 0
    bytes: int = 0
    index_bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in self.seconds.items())
        return (
            f"build: {self.pages} pages, {self.files} files, {self.bytes / 1e6:.1f} MB, "
            f"search index {self.index_bytes / 1e6:.2f} MB ({stages})"
        )


def build_time() -> str:
    """SOURCE_DATE_EPOCH when given (reproducible builds), else a fixed date: never the clock."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def paper_text(paper: Paper) -> str:
    """What related papers are computed from: the title counts twice."""
    return f"{paper.title}\n{paper.title}\n{paper.abstract}"


def compute_related(papers: list[Paper], count: int) -> dict[str, list[Paper]]:
    neighbours = related_papers([paper_text(p) for p in papers], count)
    return {paper.id: [papers[i] for i in indices] for paper, indices in zip(papers, neighbours)}


def load_content_pages(folder: Path) -> list[tuple[str, str, object]]:
    """Markdown pages (`about.md` → /about/): the first `# ` heading is the title."""
    pages = []
    for path in sorted(folder.glob("*.md")):
        slug = content_page_slug(path)
        if not _SLUG.match(slug) or slug in RESERVED_SLUGS:
            raise PapershelfError(path, f"the file name gives the URL /{slug}/, which is not allowed")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise PapershelfError(path, "not UTF-8 text") from None
        first, _, rest = text.partition("\n")
        if first.startswith("# "):
            title, body = first[2:].strip(), rest
        else:
            title, body = slug.replace("-", " ").title(), text
        pages.append((slug, title, render_markdown(body)))
    return pages


def paper_record(paper: Paper, url: str) -> dict:
    """A paper in papers.json: the public fields, for programs that want the catalog as data."""
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


def data_files(catalog: Catalog, absolute_url) -> dict[str, bytes]:
    records = [paper_record(p, absolute_url(f"papers/{p.slug}/")) for p in catalog.papers]
    return {"papers.json": json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"}


def collect_assets(settings: Settings) -> Assets:
    if not LUNR_JS.is_file():
        raise PapershelfError(LUNR_JS, "lunr.js is not installed: run `npm ci` (or `make setup`)")
    return Assets.collect(settings.static_dir, {"lunr.js": LUNR_JS})


def render_files(
    settings: Settings, catalog: Catalog, pages: list[Page], assets: Assets, search: SearchFiles
) -> dict[str, bytes]:
    env = make_environment(settings.templates_dir, settings.site, assets, build_time())
    env.globals.update(
        tags_of=catalog.paper_tags,
        listing_of=catalog.listing_by_dump.get,
        catalog_counts={"papers": len(catalog.papers), "tags": len(catalog.tags), "listings": len(catalog.listings)},
        search_manifest=search.manifest_path,
    )
    files = {page.path: render_page(env, page.template, dict(page.context, page=page)) for page in pages}
    size = settings.site.feed_size
    feeds = [("feed.xml", settings.site.title, catalog.papers)] + [
        (f"tags/{tag.slug}/feed.xml", f"{settings.site.title}: {tag.name}", tag.papers) for tag in catalog.tags
    ]
    for path, title, papers in feeds:
        files[path] = render_page(env, "feed.xml", {"papers": papers[:size], "feed_path": path, "title": title})
    files["sitemap.xml"] = render_page(env, "sitemap.xml", {"pages": [p for p in pages if p.path != "404.html"]})
    files["robots.txt"] = render_page(env, "robots.txt", {})
    files.update(data_files(catalog, env.globals["absolute_url"]))
    files.update(assets.files)
    files.update(search.files)
    return files


def load_catalog(settings: Settings) -> Catalog:
    store = load_store(settings.content_dir)
    return build_catalog(store, [rule.name for rule in settings.config.tags], settings.tagger().slugs)


def build(settings: Settings) -> BuildReport:
    report = BuildReport()
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[stage] = now - clock
        clock = now

    catalog = load_catalog(settings)
    content_pages = load_content_pages(settings.content_dir / "pages")
    lap("load")
    related = compute_related(catalog.papers, settings.site.related_count)
    lap("related")
    search = search_files(catalog)
    lap("index")
    pages = plan_site(catalog, related, content_pages, settings.site.papers_per_page)
    files = render_files(settings, catalog, pages, collect_assets(settings), search)
    lap("render")
    write_site(settings.output_dir, files)
    lap("write")
    report.pages, report.files = len(pages), len(files)
    report.index_bytes = search.index_bytes
    report.bytes = sum(len(data) for data in files.values())
    return report
