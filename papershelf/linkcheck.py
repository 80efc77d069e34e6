"""The built-in link check: every internal `href` and `src` of the built site must lead to
a file of the site, as a static host serving it under `base_url` would resolve it."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from papershelf.errors import PapershelfError

# The site's data index: it also records the base path the site was built for.
DATA_INDEX = "papers.json"


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)


def page_url(site_dir: Path, file: Path, base_url: str) -> str:
    """The URL path a file is served at: `papers/x/index.html` → `/base/papers/x/`."""
    relative = file.relative_to(site_dir).as_posix()
    return base_url + relative.removesuffix("index.html")


def internal_links(site_dir: Path, base_url: str) -> dict[str, set[str]]:
    """Every same-site URL path the HTML pages link to, with the pages that link to it."""
    found: dict[str, set[str]] = {}
    for file in sorted(site_dir.rglob("*.html")):
        collector = _LinkCollector()
        collector.feed(file.read_text(encoding="utf-8"))
        here = page_url(site_dir, file, base_url)
        for link in collector.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("#", "mailto:")):
                continue
            target = urlsplit(urljoin(here, link)).path
            found.setdefault(unquote(target), set()).add(here)
    return found


def resolve(site_dir: Path, base_url: str, url_path: str) -> Path | None:
    """The file a static host would serve for `url_path`, or None."""
    if not url_path.startswith(base_url):
        return None
    relative = url_path[len(base_url) :]
    candidate = site_dir / relative
    if url_path.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def broken_links(site_dir: Path, base_url: str) -> dict[str, set[str]]:
    """Internal links that lead nowhere, each with the pages that contain it."""
    return {
        url: pages
        for url, pages in internal_links(site_dir, base_url).items()
        if resolve(site_dir, base_url, url) is None
    }


def built_base_url(site_dir: Path) -> str:
    """The base path the site in `site_dir` was built for, as its data index records it."""
    try:
        return str(json.loads((site_dir / DATA_INDEX).read_text(encoding="utf-8"))["base_url"])
    except (OSError, ValueError, KeyError, TypeError):
        raise PapershelfError(site_dir, "no site built by Papershelf here: build it first (`python build.py build`)") from None
