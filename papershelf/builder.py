"""The build sequence: content store → catalog → term table → related papers and search
index → the plan of every file → staged files → site/.

Builds are incremental and atomic. A digest of every input decides whether there is
anything to do at all; then each output file has a fingerprint of what it is made from
(`plan.py`), and only files whose fingerprint changed are rendered. New files wait in a
staging folder and move into the site only once all are written (`output.py`): a failure
anywhere leaves the previous site as it was, and unchanged files keep their bytes and
modification times. An incremental build gives the same bytes as a clean one (`--clean`);
the tests hold it to that. What a build remembers for the next one goes through `cache.py`,
here and nowhere else in the build. The build runs with the garbage collector paused
(`memory.py`).
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import jinja2

from papershelf.cache import BuildState, Cache, code_digests, code_version
from papershelf.catalog import Catalog, load_catalog
from papershelf.config import Settings
from papershelf.digests import FileDigests, sha256
from papershelf.errors import PapershelfError
from papershelf.memory import collector_paused
from papershelf.output import StagedSite
from papershelf.pages import Page
from papershelf.paper import Paper
from papershelf.parallel import PARALLEL_FROM, in_background, map_slices
from papershelf.plan import Outputs, SiteParts, SitePlan, plan_site_files
from papershelf.render import Assets, MacroOnce, make_environment
from papershelf.store import PAGES_DIR, Store, load_content_pages, load_store

if TYPE_CHECKING:
    from papershelf.analysis import TermTable
    from papershelf.search.documents import SearchFiles

# The catalog-wide stages (analysis, related papers, search index) need numpy and scipy, a
# third of a second to import: they are imported where used, so that a build with nothing
# to do never pays for them.

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# lunr.js comes from the npm package installed by `npm ci`, never from a copy in the repo.
LUNR_JS = PROJECT_ROOT / "node_modules" / "lunr" / "lunr.min.js"
Progress = Callable[[str, int, int], None]  # stage, done, total


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
    _clock: float = field(default_factory=time.perf_counter, repr=False)

    def lap(self, stage: str) -> None:
        """The time and peak memory since the last lap, as `stage`'s."""
        now = time.perf_counter()
        self.seconds[stage] = now - self._clock
        self.peak_mb[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        self._clock = now

    def summary(self) -> str:
        stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in self.seconds.items())
        if self.nothing_to_do:
            return f"build: nothing new, site is up to date; nothing rendered ({stages})"
        return (
            f"build: {self.pages} pages, {self.files} files ({self.rendered} rendered, {self.written} written, "
            f"{self.unchanged} unchanged, {self.removed} removed), {self.bytes / 1e6:.1f} MB, "
            f"search index {self.index_bytes / 1e6:.2f} MB ({stages})"
        )


@collector_paused()
def build(settings: Settings, clean: bool = False, progress: Progress | None = None, cache: Cache | None = None, store: Store | None = None) -> BuildReport:
    """Build the site. Incremental unless `clean`; both give the same bytes. `store` is the
    content store when this process has it loaded already (an ingest just wrote it)."""
    report = BuildReport()
    cache = cache if cache is not None else Cache(settings.cache_dir)
    state = cache.load_state()  # a clean build still reuses the input file digests
    if clean:
        state.stamp = ""
    stamp = inputs_stamp(settings, state.files)
    if stamp == state.stamp and settings.output_dir.is_dir():
        report.lap("check")
        report.nothing_to_do = True
        return report
    last_outputs = {} if clean else cache.load_outputs()

    store = store if store is not None else load_content(settings, cache, state.files)
    catalog = load_catalog(settings, store)
    content_pages = load_content_pages(settings.content_dir / PAGES_DIR)
    report.lap("load")
    papers, table = analyse_catalog(catalog, store, cache)
    report.lap("analyse")
    related, search = relate_and_index(papers, table, catalog, settings.site.related_count, cache, clean, report)
    report.lap("index")
    assets = collect_assets(settings)
    env = site_environment(settings, catalog, assets)
    templates = state.files.tree(settings.templates_dir)  # digests the input stamp already made
    plan = plan_site_files(SiteParts(settings, catalog, store.digests, related, content_pages, search, assets, env, templates))
    made_from = plan.fingerprints()
    write_site(settings.output_dir, plan, env, made_from, last_outputs, clean, cache, report, progress)

    report.removed = len(set(last_outputs) - set(made_from))
    cache.save_state(BuildState(stamp, made_from, state.files))
    report.pages, report.files, report.index_bytes = len(plan.pages), len(plan.outputs), search.index_bytes
    root = str(settings.output_dir)
    report.bytes = sum(os.stat(os.path.join(root, path)).st_size for path in plan.outputs)  # no Path per file
    return report


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


def load_content(settings: Settings, cache: Cache, digests: FileDigests) -> Store:
    """The content store, with the papers parsed before taken from the cache."""
    parsed = cache.memo("parsed papers")
    store = load_store(settings.content_dir, parsed, digests)
    parsed.save(set(store.digests.values()))
    return store


def analyse_catalog(catalog: Catalog, store: Store, cache: Cache) -> tuple[list[Paper], TermTable]:
    """The papers in search order and their term table: only papers new or changed since the
    last build are analysed, the rest is copied from that build's table."""
    from papershelf.analysis import catalog_table
    from papershelf.search.documents import search_order

    papers = search_order(catalog.papers)
    table = catalog_table(papers, [store.digests.get(paper.id, "") for paper in papers], cache.last("term table"))
    cache.keep("term table", table)
    return papers, table


def relate_and_index(
    papers: list[Paper], table: TermTable, catalog: Catalog, related_count: int, cache: Cache, clean: bool, report: BuildReport
) -> tuple[dict[str, list[Paper]], SearchFiles]:
    """Each paper's related papers (by id) and the search files. Both read the term table
    alone: the index is made in a forked worker while this process finds related papers."""
    from papershelf.related import related_papers, term_counts
    from papershelf.search.documents import search_files
    from papershelf.search.shards import IndexFiles, index_files

    def make_index() -> IndexFiles:
        """The index's files; its postings' ref gaps are kept for the next build to grow."""
        index, gaps = index_files(table, None if clean else cache.last("ref gaps"))
        cache.keep("ref gaps", gaps)
        return index

    with in_background(make_index) as index:
        rows = related_papers(term_counts(table), related_count)
        report.lap("related")
        search = search_files(catalog, table, code_version(), index())
    # Papers are taken by reference once the worker is gone: while it runs, touching an
    # object copies its memory page, shared with the worker since the fork.
    return {paper.id: [papers[i] for i in indices] for paper, indices in zip(papers, rows)}, search


def collect_assets(settings: Settings) -> Assets:
    if not LUNR_JS.is_file():
        raise PapershelfError(LUNR_JS, "lunr.js is not installed: run `npm ci` (or `make setup`)")
    return Assets.collect(settings.static_dir, {"lunr.js": LUNR_JS})


def site_environment(settings: Settings, catalog: Catalog, assets: Assets) -> jinja2.Environment:
    env = make_environment(settings.templates_dir, settings.site, assets)
    env.globals.update(tags_of=catalog.paper_tags, arrived=catalog.arrived)
    return env


def write_site(
    output_dir: Path,
    plan: SitePlan,
    env: jinja2.Environment,
    made_from: dict[str, str],
    last_outputs: dict[str, str],
    clean: bool,
    cache: Cache,
    report: BuildReport,
    progress: Progress | None,
) -> None:
    """Render the files whose fingerprint changed (or that the site lacks) into a staging
    folder, then move them into the site; any failure leaves the site as it was."""
    staged = StagedSite(output_dir, whole=clean)
    try:
        todo = [path for path, fingerprint in made_from.items() if last_outputs.get(path) != fingerprint or path not in staged.present]
        report.lap("plan")
        to_render = set(todo)
        cast(MacroOnce, env.globals["card"]).prepare([(paper,) for paper in listed_papers([page for page in plan.pages if page.path in to_render])])
        report.lap("cards")
        report.written = render_into(staged, plan.outputs, todo, reuse_equal=not clean, progress=progress)
        report.rendered, report.unchanged = len(todo), len(plan.outputs) - report.written
        report.lap("render")
        cache.mark_pending(None if staged.whole else sorted(staged.staged_files()))
        staged.commit(set(plan.outputs))
    except BaseException:
        staged.abort()
        raise
    report.lap("write")


def listed_papers(pages: list[Page]) -> list[Paper]:
    """The papers these pages list (as cards), each once."""
    return list({paper.id: paper for page in pages for paper in page.context.get("papers", ())}.values())


def render_into(
    staged: StagedSite,
    outputs: Outputs,
    todo: list[str],
    reuse_equal: bool,
    progress: Progress | None,
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
