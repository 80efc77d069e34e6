"""The built site: every page there, every internal link working under a sub-path, text
escaped, output deterministic, and a failed build leaving the old site in place."""

from __future__ import annotations

import json
import re
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from papershelf.linkcheck import broken_links, internal_links
from tests.conftest import file_text, run, snapshot

Q_VLM = "q-vlm-post-training-quantization-for-large-vision"


def test_pages_of_the_sample_catalog(built_site: Path) -> None:
    site = built_site / "site"
    assert len(list((site / "papers").glob("*.html"))) == 371
    assert (site / "index.html").exists() and (site / "404.html").exists()
    assert len(list((site / "listings").glob("*/index.html"))) == 3
    tags = list((site / "tags").glob("*/index.html"))
    assert 40 <= len(tags) <= 60 and len(list((site / "tags").glob("*/feed.xml"))) == len(tags)
    assert (site / "about" / "index.html").exists()
    home = (site / "index.html").read_text()
    assert "371 papers" in home and home.count("<li><h2><a href=") == 50
    assert "Utilizing BERT for Information Retrieval" in home  # first paper of the newest dump
    assert 'href="/papershelf/listings/">Older papers' in home  # the listings are the archive
    paper = (site / "papers" / f"{Q_VLM}.html").read_text()
    assert 'href="https://github.com/ChangyuanWang17/QVLM"' in paper and "button-code" in paper
    assert 'href="/papershelf/tags/quantization/"' in paper
    # The abstract once in the page (the link preview's description is its start), no
    # canonical link (the sitemap lists the page), related papers by relative links.
    body = paper.split("<body>", 1)[1]
    assert body.count("we propose a post-training quantization framework") == 1 and 'rel="canonical"' not in paper
    related = paper.split("<h2>Related papers</h2>", 1)[1].split("</ul>", 1)[0]
    assert related.count('<li><a href="') == 5 and "/papers/" not in related


def test_every_page_has_its_head_on_one_line(built_site: Path) -> None:
    """The head is tags only, on every page: its line breaks are bytes a large site pays a
    hundred thousand times. The charset still comes first, as browsers require."""
    pages = sorted((built_site / "site").rglob("*.html"))
    assert len(pages) > 400
    for page in pages:
        html = page.read_text(encoding="utf-8")
        head = html.split("<head>", 1)[1].split("</head>", 1)[0]
        assert head.startswith('<meta charset="utf-8"><meta name="viewport"') and "\n" not in head, page
        assert head.count("<title>") == 1 and "</title><" in head, page


def test_stable_archive_pages(built_site: Path) -> None:
    """A tag's pages are numbered from its oldest papers and hold 50 each but the newest."""
    site = built_site / "site"
    tag = max((site / "tags").glob("*/page"), key=lambda folder: len(list(folder.iterdir()))).parent
    count = int(re.search(r"(\d+) papers?, newest first", (tag / "index.html").read_text()).group(1))
    numbers = sorted(int(page.parent.name) for page in tag.glob("page/*/index.html"))
    assert numbers == list(range(1, -(-count // 50) + 1)) and len(numbers) >= 2
    cards = [(tag / "page" / str(number) / "index.html").read_text().count("<li><h2><a href=") for number in numbers]
    assert cards[:-1] == [50] * (len(numbers) - 1) and sum(cards) == count


def test_listings_are_paginated(built_site: Path) -> None:
    site = built_site / "site"
    listing = max((site / "listings").glob("*/"), key=lambda folder: len(list(folder.rglob("index.html"))))
    first, second = (listing / "index.html").read_text(), (listing / "page" / "2" / "index.html").read_text()
    assert first.count("<li><h2><a href=") == 50 and 0 < second.count("<li><h2><a href=") <= 50
    assert 'aria-current="page" href="/papershelf/' + listing.relative_to(site).as_posix() + '/">1</a>' in first
    assert '">2</a>' in first and "page 2 of" in second
    assert 'class="badge">seen before</span>' in first + second  # papers an earlier dump brought


def test_every_internal_link_resolves_over_http(built_site: Path, site_origin: str) -> None:
    site = built_site / "site"
    assert broken_links(site, "/papershelf/") == {}
    origin = site_origin.removesuffix("/papershelf/")
    links = internal_links(site, "/papershelf/")
    assert len(links) > 450
    for url in sorted(links):
        assert url.startswith("/papershelf/"), url
        with urllib.request.urlopen(origin + url) as response:
            assert response.status == 200, url


SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap_urls(site: Path) -> list[str]:
    """Every URL of the sitemap index's sitemaps."""
    index = ET.parse(site / "sitemap.xml").getroot()
    assert index.tag == f"{SITEMAP}sitemapindex"
    urls = []
    for loc in index.iter(f"{SITEMAP}loc"):
        part = loc.text.removeprefix("https://example.github.io/papershelf/")
        assert part.endswith(".xml.gz")
        urls += [url.text for url in ET.fromstring(file_text(site / part)).iter(f"{SITEMAP}loc")]
    return urls


def catalog_data(site: Path) -> list[dict]:
    """Every paper record of the data files papers.json lists, oldest first."""
    contents = json.loads((site / "papers.json").read_text())
    records = []
    for part in contents["parts"]:
        records += json.loads(file_text(site / part["path"]))
    assert len(records) == contents["papers"]
    return records


def test_feeds_sitemap_and_data(built_site: Path) -> None:
    site = built_site / "site"
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(site / "feed.xml").getroot()
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == 50
    assert entries[0].find(f"{atom}link").get("href").startswith("https://example.github.io/papershelf/papers/")
    tag_feed = ET.parse(site / "tags" / "quantization" / "feed.xml").getroot()
    assert all("Quantization" in [c.get("label") for c in e.findall(f"{atom}category")] for e in tag_feed.findall(f"{atom}entry"))
    urls = sitemap_urls(site)
    assert f"https://example.github.io/papershelf/papers/{Q_VLM}.html" in urls and len(urls) == len(set(urls))
    assert len([url for url in urls if "/papers/" in url]) == 371 and "https://example.github.io/papershelf/tags/" in urls
    assert "Sitemap: https://example.github.io/papershelf/sitemap.xml" in (site / "robots.txt").read_text()
    papers = catalog_data(site)
    assert len(papers) == 371 and papers[-1]["title"] == "Utilizing BERT for Information Retrieval: Survey, Applications, Resources, and Challenges"
    q_vlm = next(p for p in papers if p["slug"] == Q_VLM)
    assert set(q_vlm) == {"id", "slug", "url", "title", "short_name", "abstract", "tags", "links", "sources", "first_seen"}
    assert q_vlm["url"] == f"https://example.github.io/papershelf/papers/{Q_VLM}.html"


HOSTILE = {
    "title": "<script>alert(1)</script> & Friends",
    "abstract": 'An abstract with <img src=x onerror="alert(2)"> and "quotes" and a link https://example.org/x?a=1&b=<b>.',
    "notes": "Notes <script>alert(3)</script> [click](javascript:alert(4)) <a href=\"#\" onclick=\"alert(5)\">x</a> **bold**",
}


def test_hostile_text_is_escaped_everywhere(catalog: Path) -> None:
    assert run(catalog, "ingest") == 0
    path = catalog / "content" / "papers" / f"{Q_VLM}.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(HOSTILE)
    data["tags"] = data["tags"] + ['"><svg onload=alert(6)>']
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    assert run(catalog, "build") == 0
    site = catalog / "site"
    everything = "\n".join(file_text(p) for p in site.rglob("*") if p.name.endswith((".html", ".xml", ".xml.gz")))
    for needle in ("<script>alert", "<img src=x", "<svg", 'onerror="alert', 'onclick="alert', 'href="javascript:'):
        assert needle not in everything, needle
    page = (site / "papers" / f"{Q_VLM}.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Friends" in page
    assert "<strong>bold</strong>" in page
    assert json.loads(file_text(site / "data" / "papers-1.json.gz"))  # still valid JSON
    ET.parse(site / "feed.xml")  # still valid XML
    assert broken_links(site, "/") == {}


def test_hidden_papers_appear_nowhere(catalog: Path) -> None:
    assert run(catalog, "ingest") == 0
    path = catalog / "content" / "papers" / f"{Q_VLM}.yaml"
    path.write_text(path.read_text() + "hidden: true\n")
    assert run(catalog, "build") == 0
    site = catalog / "site"
    assert not (site / "papers" / f"{Q_VLM}.html").exists()
    for file in site.rglob("*"):
        if file.is_file():
            assert Q_VLM not in file_text(file), file
    assert len(json.loads(file_text(site / "data" / "papers-1.json.gz"))) == 370


def test_same_content_builds_a_byte_identical_site(catalog: Path) -> None:
    assert run(catalog, "ingest") == 0
    assert run(catalog, "build") == 0
    first = snapshot(catalog / "site")
    assert run(catalog, "build") == 0
    assert snapshot(catalog / "site") == first


def test_failed_build_leaves_the_previous_site(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(catalog, "ingest") == 0
    assert run(catalog, "build") == 0
    before = snapshot(catalog / "site")
    (catalog / "templates" / "paper.html").write_text("{% block content %}{{ paper.no_such_field }}{% endblock %}")
    capsys.readouterr()
    assert run(catalog, "build") == 2
    template = catalog / "templates" / "paper.html"
    assert capsys.readouterr().err == f"error: {template}:1: template error: 'papershelf.paper.Paper object' has no attribute 'no_such_field'\n"
    assert snapshot(catalog / "site") == before
    assert [p.name for p in catalog.iterdir() if p.name.startswith(".site")] == []


def test_content_page_cannot_take_a_reserved_url(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (catalog / "content" / "pages" / "tags.md").write_text("# Tags\n\nclash")
    assert run(catalog, "build") == 2
    assert "tags.md: the file name gives the URL /tags/" in capsys.readouterr().err


def test_preview_server_serves_under_the_base_path(built_site: Path) -> None:
    import threading
    import urllib.error

    from papershelf.serve import make_server

    server = make_server(built_site / "site", "/papershelf/", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(origin + "/papershelf/tags/") as response:
            assert response.status == 200 and b"<h1>Tags</h1>" in response.read()
        with urllib.request.urlopen(origin + "/") as response:  # redirected to the base path
            assert response.url == origin + "/papershelf/"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(origin + "/papershelf/papers/nope/")
        assert missing.value.code == 404 and b"Page not found" in missing.value.read()
    finally:
        server.shutdown()
        server.server_close()


def test_listings_are_named_by_their_day_newest_first(built_site: Path) -> None:
    from tests.conftest import file_text

    index = file_text(built_site / "site" / "listings" / "index.html")
    names = re.findall(r'<li><a href="/papershelf/listings/[^"]+/">([^<]+)</a> <span class="muted">[^<]*· ([^<]+)</span>', index)
    # The sample's dumps show Mar 12 and Mar 11 (their year from when they were ingested,
    # 2025-11-23 in the suite); the other shows no day and is named by when it was added.
    assert names == [
        ("Added Nov 23, 2025", "002_02470485fad21fb3.txt"),
        ("Mar 12, 2025", "000_9d9e7264a0fe5dfa.txt"),
        ("Mar 11, 2025", "004_2ce07ad5103318e3.txt"),
    ]
    listing = file_text(built_site / "site" / "listings" / "000-9d9e7264a0fe5dfa" / "index.html")
    assert "<h1><span class=\"muted\">Listing:</span> Mar 12, 2025</h1>" in listing and "<code>000_9d9e7264a0fe5dfa.txt</code>" in listing


def test_a_listing_day_takes_its_year_from_the_page_or_from_when_it_was_added() -> None:
    from datetime import date

    from papershelf.catalog import listing_day

    assert listing_day("Mar 12", "2026-11-23T01:38:52Z") == date(2026, 3, 12)
    assert listing_day("Dec 30", "2027-01-02T00:00:00Z") == date(2026, 12, 30)  # seen after new year
    assert listing_day("March 12, 2024", None) == date(2024, 3, 12)
    assert listing_day("Mar 12", None) is None and listing_day("Feb 30", "2026-11-23T00:00:00Z") is None
