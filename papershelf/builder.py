"""The build sequence: content store → catalog → related papers → search index → pages →
files → site/.

Builds are incremental and atomic. A digest of every input decides whether there is
anything to do at all; then each output file has a fingerprint of what it is made from,
and only files whose fingerprint changed are rendered. New files wait in a staging folder
and move into the site only once all are written (see `output.py`): a failure anywhere
leaves the previous site as it was, and unchanged files keep their bytes and modification
times. An incremental build gives the same bytes as a clean one (`--clean`); the tests
hold it to that. The build runs with the garbage collector paused (`memory.py`).
"""

from __future__ import annotations

import json
import os
import re
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import jinja2
from markupsafe import Markup

from papershelf.cache import Cache, code_digests, code_version
from papershelf.catalog import UNKNOWN_DATE, Catalog, build_catalog
from papershelf.config import Settings
from papershelf.digests import FileDigests, sha256
from papershelf.errors import PapershelfError
from papershelf.fingerprint import Fingerprinter
from papershelf.gz import gzipped
from papershelf.linkcheck import DATA_INDEX
from papershelf.markup import render_markdown
from papershelf.memory import collector_paused
from papershelf.output import StagedSite
from papershelf.pages import Page, content_page_slug, paper_path, plan_site, stable_parts
from papershelf.paper import Paper
from papershelf.parallel import PARALLEL_FROM, in_background, map_each, map_slices
from papershelf.render import Assets, MacroOnce, make_environment, render_page
from papershelf.store import Store, load_store

if TYPE_CHECKING:
    from papershelf.analysis import TermTable
    from papershelf.search_index import SearchFiles

# The catalog-wide stages (analysis, related papers, search index) need numpy and scipy, a
# third of a second to import: they are imported where used, so that a build with nothing
# to do never pays for them.

RESERVED_SLUGS = frozenset({"papers", "tags", "listings", "search", "saved", "assets", "page", "data", "sitemaps"})
SITEMAP_URLS = 10_000  # per sitemap file (the protocol allows 50,000)
DATA_PAPERS = 1_000  # papers per data file
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# lunr.js comes from the npm package installed by `npm ci`, never from a copy in the repo.
LUNR_JS = PROJECT_ROOT / "node_modules" / "lunr" / "lunr.min.js"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class BuildReport:
    nothing_to_do: bool = False
    pages: int = 0
    files: int = 0
    rendered: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    bytes: int = 0
    index_bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, int] = field(default_factory=dict)  # this process's peak memory after each stage

    def summary(self) -> str:
        stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in self.seconds.items())
        if self.nothing_to_do:
            return f"build: nothing new, site is up to date; nothing rendered ({stages})"
        return (
            f"build: {self.pages} pages, {self.files} files ({self.rendered} rendered, {self.written} written, "
            f"{self.unchanged} unchanged, {self.removed} removed), {self.bytes / 1e6:.1f} MB, "
            f"search index {self.index_bytes / 1e6:.2f} MB ({stages})"
        )


def related_rows(table: TermTable, count: int) -> list[list[int]]:
    """Each paper's related papers, as rows of the table."""
    from papershelf.related import related_papers, term_counts

    return related_papers(term_counts(table), count)


def related_by_id(papers: list[Paper], rows: list[list[int]]) -> dict[str, list[Paper]]:
    """Paper id -> its related papers; `papers` in the table's order."""
    return {paper.id: [papers[i] for i in indices] for paper, indices in zip(papers, rows)}


def analyse_catalog(papers: list[Paper], store: Store, cache: Cache) -> TermTable:
    """The term table of these papers: only papers new or changed since the last build are
    analysed, the rest is copied from that build's table."""
    from papershelf.analysis import catalog_table

    table = catalog_table(papers, [store.digests.get(paper.id, "") for paper in papers], cache.last("term table"))
    cache.keep("term table", table)
    return table


def load_content_pages(folder: Path) -> list[tuple[str, str, Markup]]:
    """Markdown pages (`about.md` → /about/): the first `# ` heading is the title."""
    pages = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        slug = content_page_slug(path)
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
        pages.append((slug, title, render_markdown(body)))
    return pages


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


def _json_file(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def _json_records(records: list[dict]) -> bytes:
    """A JSON array with one record per line: as easy to read and diff as an indented file,
    and written by json's C encoder (indenting takes its pure-Python path, several times
    slower: seconds for the 100,000 records of a large catalog)."""
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    return f"[\n{lines}\n]\n".encode() if records else b"[]\n"


def collect_assets(settings: Settings) -> Assets:
    if not LUNR_JS.is_file():
        raise PapershelfError(LUNR_JS, "lunr.js is not installed: run `npm ci` (or `make setup`)")
    return Assets.collect(settings.static_dir, {"lunr.js": LUNR_JS})


def load_catalog(settings: Settings, store: Store | None = None) -> Catalog:
    store = store if store is not None else load_store(settings.content_dir)
    return build_catalog(store, [rule.name for rule in settings.config.tags], settings.tagger().slugs)


def inputs_stamp(settings: Settings, digests: FileDigests) -> str:
    """One digest of everything a build reads: content, templates, static files, code,
    settings and lunr.js. Equal stamps mean an identical site."""
    parts: dict[str, str | dict[str, str]] = {
        "settings": settings.config.model_dump_json(),
        "lunr": sha256(LUNR_JS.read_bytes()) if LUNR_JS.is_file() else "",
    }
    for name, folder in (("content", settings.content_dir), ("templates", settings.templates_dir), ("static", settings.static_dir)):
        parts[name] = digests.tree(folder)
    parts["code"] = code_digests()
    return sha256(json.dumps(parts, sort_keys=True).encode("utf-8"))


@dataclass
class Output:
    """One file the site will have: what it is made from (`inputs`, whose fingerprint says
    whether the file must be made again) and how to make it."""

    inputs: tuple
    make: Callable[[], bytes]


class Outputs(dict):
    """Output path -> Output. A path planned twice is refused: one of the two files would
    be lost without a word."""

    def __setitem__(self, path: str, output: Output) -> None:
        if path in self:
            raise PapershelfError(path, "two files of the site would be written here: one of them would be lost")
        super().__setitem__(path, output)


def fingerprints(outputs: dict[str, Output], fingerprinter: Fingerprinter) -> dict[str, str]:
    """Output path -> the fingerprint of its inputs."""
    paths = list(outputs)
    return dict(zip(paths, map_each(lambda path: fingerprinter.of(*outputs[path].inputs), paths, PARALLEL_FROM["fingerprint outputs"])))


def site_environment(settings: Settings, catalog: Catalog, assets: Assets) -> jinja2.Environment:
    env = make_environment(settings.templates_dir, settings.site, assets)
    env.globals.update(tags_of=catalog.paper_tags, arrived=catalog.arrived)
    return env


def plan_outputs(
    env: jinja2.Environment,
    settings: Settings,
    catalog: Catalog,
    store: Store,
    clean_assets: Assets,
    search: SearchFiles,
    pages: list[Page],
    digests: FileDigests,
) -> tuple[dict[str, Output], Fingerprinter]:
    """Every file of the site with its inputs and a function that makes it, and what
    fingerprints the inputs."""
    tags_of = catalog.paper_tags
    # A paper is its file (every field) and the tags it resolves to (what `tags_of` gives).
    fingerprinter = Fingerprinter(lambda p: store.digests.get(p.id, "") + repr([(t.name, t.slug) for t in tags_of(p)]))
    templates = digests.tree(settings.templates_dir)  # digests the input stamp already made
    # What every page may read besides its context: the templates' globals.
    common = fingerprinter.of(templates, code_digests(), settings.site.model_dump(), clean_assets.names)

    def page_output(template: str, context: dict) -> Callable[[], bytes]:
        return lambda: render_page(env, template, context)

    def compressed(make: Callable[[], bytes]) -> Callable[[], bytes]:
        return lambda: gzipped(make())

    outputs = Outputs()
    for page in pages:
        context = dict(page.context, page=page)
        outputs[page.path] = Output((common, page.template, page.path, page.context), page_output(page.template, context))
    size = settings.site.feed_size
    feeds = [("feed.xml", settings.site.title, catalog.papers)] + [
        (f"tags/{tag.slug}/feed.xml", f"{settings.site.title}: {tag.name}", tag.papers) for tag in catalog.tags
    ]
    for path, title, papers in feeds:
        # Entries are dated by their papers' arrival, which the ledger records.
        dates = [catalog.arrived(paper) for paper in papers[:size]]
        context = {"papers": papers[:size], "feed_path": path, "title": title, "updated": max(dates, default=UNKNOWN_DATE)}
        outputs[path] = Output((common, "feed", dates, context), page_output("feed.xml", context))
    # The sitemap and the data files are split in parts of fixed size, the papers' parts
    # counted from the oldest paper: a new dump changes the newest part only.
    paper_urls = [paper_path(p.slug) for p in catalog.papers[::-1]]
    other_urls = [p.url_path for p in pages if p.path != "404.html" and not p.path.startswith("papers/")]
    # The protocol lets sitemaps be gzip-compressed: a URL's 150 bytes become 20 or so.
    sitemaps = [
        (f"sitemaps/{kind}-{number}.xml.gz", urls)
        for kind, all_urls in (("pages", other_urls), ("papers", paper_urls))
        for number, urls in enumerate(stable_parts(all_urls, SITEMAP_URLS), 1)
    ]
    for path, urls in sitemaps:
        outputs[path] = Output((common, "sitemap", urls), compressed(page_output("sitemap.xml", {"urls": urls})))
    index = [path for path, _ in sitemaps]
    outputs["sitemap.xml"] = Output((common, "sitemap-index", index), page_output("sitemap-index.xml", {"sitemaps": index}))
    outputs["robots.txt"] = Output((common, "robots"), page_output("robots.txt", {}))
    absolute_url = cast(Callable[[str], str], env.globals["absolute_url"])

    def data_part(papers: list[Paper]) -> Callable[[], bytes]:
        return lambda: gzipped(_json_records([paper_record(p, absolute_url(paper_path(p.slug))) for p in papers]))

    # Stored compressed: they hold every abstract, as the paper pages do (`gz.py`).
    parts = [(f"data/papers-{number}.json.gz", papers) for number, papers in enumerate(stable_parts(catalog.papers[::-1], DATA_PAPERS), 1)]
    for path, papers in parts:
        outputs[path] = Output((common, "data", papers), data_part(papers))
    # Parts by paths relative to papers.json, so they resolve wherever the site is served;
    # the base path it was built for is what `check` resolves its links under.
    contents = {
        "papers": len(catalog.papers),
        "base_url": settings.site.base_url,
        "compression": "gzip",
        "parts": [{"path": path, "papers": len(papers)} for path, papers in parts],
    }
    outputs[DATA_INDEX] = Output((common, "data index", contents), lambda: _json_file(contents))
    for path, data in {**clean_assets.files, **search.files}.items():
        # Their names hold a digest of their bytes: a new version is a new file.
        outputs[path] = Output(("content-named",), data if callable(data) else _constant(data))
    return outputs, fingerprinter


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def listed_papers(pages: list[Page]) -> list[Paper]:
    """The papers these pages list (as cards), each once."""
    return list({paper.id: paper for page in pages for paper in page.context.get("papers", ())}.values())


@collector_paused()
def build(
    settings: Settings,
    clean: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    cache: Cache | None = None,
    store: Store | None = None,
) -> BuildReport:
    """Build the site. Incremental unless `clean`; both give the same bytes. `store` is the
    content store when this process has it loaded already (an ingest just wrote it)."""
    report = BuildReport()
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[stage] = now - clock
        report.peak_mb[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        clock = now

    cache = cache if cache is not None else Cache(settings.cache_dir)
    state = cache.load_state()  # a clean build still reuses the input file digests
    if clean:
        state.stamp = ""
    output_dir = settings.output_dir
    stamp = inputs_stamp(settings, state.files)
    if not clean and stamp == state.stamp and output_dir.is_dir():
        lap("check")
        report.nothing_to_do = True
        return report

    if not clean:
        state.outputs = cache.load_outputs()
    if store is None:
        parsed = cache.memo("parsed papers")
        store = load_store(settings.content_dir, parsed, state.files)
        parsed.save(set(store.digests.values()))
    catalog = load_catalog(settings, store)
    content_pages = load_content_pages(settings.content_dir / "pages")
    lap("load")
    from papershelf.search_index import index_shards, search_files, search_order

    papers = search_order(catalog.papers)
    table = analyse_catalog(papers, store, cache)
    lap("analyse")

    def make_index() -> dict[str, bytes]:
        """The index's shards; its postings' ref gaps are kept for the next build to grow."""
        shards, gaps = index_shards(table, None if clean else cache.last("ref gaps"))
        cache.keep("ref gaps", gaps)
        return shards

    # The search index and the related papers both read the term table alone: the index
    # is made in a forked worker while this process finds related papers.
    with in_background(make_index) as shards:
        neighbours = related_rows(table, settings.site.related_count)
        lap("related")
        search = search_files(catalog, table, code_version(), shards())
    # Papers are taken by reference once the worker is gone: while it runs, touching an
    # object copies its memory page, shared with the worker since the fork.
    related = related_by_id(papers, neighbours)
    lap("index")
    pages = plan_site(catalog, related, content_pages, settings.site.papers_per_page, search.manifest_path)
    assets = collect_assets(settings)
    env = site_environment(settings, catalog, assets)
    outputs, fingerprinter = plan_outputs(env, settings, catalog, store, assets, search, pages, state.files)
    made_from = fingerprints(outputs, fingerprinter)
    staged = StagedSite(output_dir, whole=clean)
    try:
        todo = [path for path, fingerprint in made_from.items() if state.outputs.get(path) != fingerprint or path not in staged.present]
        lap("plan")
        to_render = set(todo)
        cast(MacroOnce, env.globals["card"]).prepare([(paper,) for paper in listed_papers([page for page in pages if page.path in to_render])])
        lap("cards")
        written = render_into(staged, outputs, todo, reuse_equal=not clean, progress=progress)
        lap("render")
        cache.mark_pending(None if staged.whole else sorted(staged.staged_files()))
        staged.commit(set(outputs))
    except BaseException:
        staged.abort()
        raise
    lap("write")
    report.removed = len(set(state.outputs) - set(outputs))
    state.stamp = stamp
    state.outputs = made_from
    cache.save_state(state)
    report.pages, report.files, report.rendered = len(pages), len(outputs), len(todo)
    report.written, report.unchanged = written, len(outputs) - written
    report.index_bytes = search.index_bytes
    root = str(output_dir)
    report.bytes = sum(os.stat(os.path.join(root, path)).st_size for path in outputs)  # no Path per file
    return report


def render_into(
    staged: StagedSite,
    outputs: dict[str, Output],
    todo: list[str],
    reuse_equal: bool,
    progress: Callable[[str, int, int], None] | None,
) -> int:
    """Render `todo` into the staged site, on every core when there is enough of it.
    Returns how many files got new bytes."""
    done = 0

    def render(start: int, stop: int) -> int:
        return sum(staged.put(path, outputs[path].make(), reuse_equal) for path in todo[start:stop])

    def advance(start: int, stop: int) -> None:
        nonlocal done
        done += stop - start
        if progress is not None:
            progress("render", done, len(todo))

    # Small slices, so that the progress bar moves and both workers finish together.
    return sum(written for _, written in map_slices(render, len(todo), PARALLEL_FROM["render files"], slices_per_worker=200, on_slice=advance))
