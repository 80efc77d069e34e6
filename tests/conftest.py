"""Shared fixtures: the real sample dumps and throwaway catalogs built from them."""

from __future__ import annotations

import functools
import gzip
import os
import shutil
import threading
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DUMPS = sorted((ROOT / "dumps").glob("*.txt"))
# Ingest records when each dump arrived: one fixed moment, so that catalogs ingested apart
# are the same (a test that dates dumps sets its own).
os.environ["SOURCE_DATE_EPOCH"] = "1763861932"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A copy of the project's catalog set-up (config, templates, static, pages, sample
    dumps) with an empty content store, in a temporary folder."""
    return catalog_copy(tmp_path)

def run(catalog: Path, *args: str) -> int:
    """Run the command line against a catalog folder, as `python build.py …` would."""
    from papershelf.cli import main

    return main(["--config", str(catalog / "config.yaml"), *args])


def interrupted_after(calls: int, function: Callable) -> Callable:
    """`function`, except that the call after the first `calls` raises KeyboardInterrupt, as
    if the process were killed there."""
    made = 0

    def interrupting(*args: Any) -> Any:
        nonlocal made
        made += 1
        if made > calls:
            raise KeyboardInterrupt("interrupted")
        return function(*args)

    return interrupting


def file_text(path: Path) -> str:
    """A site file's text, decompressed when the site stores it gzip-compressed."""
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", errors="replace")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample catalog ingested and built under the sub-path /papershelf/, as GitHub
    Pages serves a project site. Returns the catalog folder (the site is in `site/`)."""
    folder = tmp_path_factory.mktemp("built")
    catalog_copy(folder)
    assert run(folder, "--base-url", "/papershelf/", "ingest") == 0
    assert run(folder, "--base-url", "/papershelf/", "build") == 0
    return folder


def catalog_copy(folder: Path) -> Path:
    shutil.copy(ROOT / "config.yaml", folder / "config.yaml")
    for name in ("templates", "static", "content/pages"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, folder / name)
    (folder / "dumps").mkdir()
    for dump in SAMPLE_DUMPS:
        shutil.copy(dump, folder / "dumps" / dump.name)
    return folder


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser). Without chromium
    the browser tests skip with a reason, except in CI, where that is a failure."""
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; CI must run the browser tests (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium) – browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield launched
        launched.close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_origin(built_site: Path, tmp_path_factory: pytest.TempPathFactory):
    """The built sample site served over HTTP on loopback under /papershelf/."""
    root = tmp_path_factory.mktemp("served")
    (root / "papershelf").symlink_to(built_site / "site", target_is_directory=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/papershelf/"
    server.shutdown()
