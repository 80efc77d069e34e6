"""How long a search takes in Chromium on a synthetic catalog of N papers: a cold first
search (a fresh browser context: manifest, shards and documents all fetched), then the
same queries again on the open page (files already loaded). Debian's chromium, driven by
Playwright, on the site served over HTTP from this machine.

Run it with `python -m benchmarks.latency --papers 100000` (it builds the catalog first, a
minute or two), or `--site DIR` for a site built already. Each time is from the last
keystroke to the results shown, less the page's 150 ms wait for more keystrokes.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchmarks.bench import PROJECT_ROOT, make_catalog

QUERIES = ["quantization", "language model", '"knowledge distillation"', "quantizaton", "model"]
DEBOUNCE_MS = 150  # static/search-page.js waits this long after a keystroke


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def built_site(papers: int, folder: Path) -> Path:
    make_catalog(folder, papers)
    subprocess.run([sys.executable, str(PROJECT_ROOT / "build.py"), "--config", str(folder / "config.yaml")], check=True, stdout=subprocess.DEVNULL)
    return folder / "site"


def shown(page, query: str) -> None:
    page.wait_for_function("q => document.getElementById('search-results').getAttribute('data-query') === q", arg=query, timeout=60000)


def search_ms(page, query: str) -> float:
    """Milliseconds from typing `query` to its results shown, less the debounce."""
    started = time.perf_counter()
    page.fill("#search-input", query)
    shown(page, query)
    return round((time.perf_counter() - started) * 1000 - DEBOUNCE_MS, 1)


def downloaded(page) -> dict:
    """What the page has fetched of the search files, as stored (gzip-compressed files as
    they are; the rest as served here, uncompressed): the documents of results and all."""
    entries = page.evaluate("performance.getEntriesByType('resource').map(e => [e.name, e.encodedBodySize])")
    searched = [(name, size) for name, size in entries if "/search/" in name]
    documents = [size for name, size in searched if "/search/d/" in name]
    return {"document_files": len(documents), "document_kb": round(sum(documents) / 1024, 1), "search_kb": round(sum(size for _, size in searched) / 1024, 1)}


def measure(url: str, browser) -> dict:
    """Each query's cold and warm time, what the cold search downloaded, and the status it
    ends with, in `browser` (a Playwright Chromium) on the search page at `url`."""
    results: dict[str, dict] = {}
    for query in QUERIES:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        shown(page, "")
        cold = search_ms(page, query)
        fetched = downloaded(page)
        page.fill("#search-input", "")
        shown(page, "")
        warm = search_ms(page, query)
        status = page.locator("#search-status").inner_text()
        context.close()
        if "unavailable" in status:
            raise RuntimeError(f"search failed for {query!r}: {status}")
        results[query] = {"cold_ms": cold, "warm_ms": warm, "status": status, **fetched}
    return results


def measured_in_chromium(site: Path) -> dict:
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"])
            try:
                return measure(f"http://127.0.0.1:{server.server_address[1]}/search/", browser)
            finally:
                browser.close()
    finally:
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.latency", description="Time searches in Chromium.")
    parser.add_argument("--papers", type=int, default=100000, help="size of the synthetic catalog to build")
    parser.add_argument("--site", type=Path, help="a built site to time instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="papershelf-latency-") as folder:
        site = args.site or built_site(args.papers, Path(folder))
        results = measured_in_chromium(site)
    for query, times in results.items():
        print(
            f"{query!r}: first search {times['cold_ms']} ms, again {times['warm_ms']} ms; "
            f"documents {times['document_kb']} KB in {times['document_files']} files of {times['search_kb']} KB ({times['status']})"
        )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
