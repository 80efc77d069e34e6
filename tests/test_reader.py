"""The reader's side in headless Chromium: every page type passes axe-core in light and dark,
controls and focus are visible, lists and search behave as a reader expects, text is
comfortable to read. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_browser import SCREENSHOTS
from tests.test_search_browser import count, settle

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
Q_VLM_PAGE = "papers/q-vlm-post-training-quantization-for-large-vision.html"
# One page of each type, and the search page in each of its states.
PAGE_TYPES = {
    "home": "",
    "paper": Q_VLM_PAGE,
    "tags": "tags/",
    "tag": "tags/multi-task-learning/",
    "tag-archive": "tags/multi-task-learning/page/1/",
    "listings": "listings/",
    "listing": "listings/002-02470485fad21fb3/",
    "listing-page-2": "listings/002-02470485fad21fb3/page/2/",
    "about": "about/",
    "saved": "saved/",
    "search-empty": "search/",
    "search-results": "search/?q=merging",
    "search-tag": "search/?tag=quantization",
    "search-none": "search/?q=zzzzqqq",
    "not-found": "404.html",
}


def open_page(browser, url: str, scheme: str = "light", width: int = 1280, height: int = 900, **options):
    page = browser.new_page(color_scheme=scheme, viewport={"width": width, "height": height}, **options)
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    if "search/" in url:
        page.wait_for_function("() => document.getElementById('search-results').getAttribute('aria-busy') === 'false'")
    return page


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "axe.run().then(r => r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_any_page_type(browser, site_origin: str, scheme: str) -> None:
    found = {}
    checked = 0
    for name, path in PAGE_TYPES.items():
        for width, height in ((1280, 900), (390, 844)):
            page = open_page(browser, site_origin + path, scheme, width, height)
            violations = axe_violations(page)
            checked += 1
            if violations:
                found[f"{name} at {width}px"] = violations
            if width == 390 and name in ("home", "paper", "search-results"):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"reader-{name}-{scheme}-phone.png"))
            page.close()
    assert checked == 2 * len(PAGE_TYPES)
    assert found == {}, json.dumps(found, indent=1)


def _contrast(page, script: str) -> float:
    """The contrast ratio of the two colours `script` gives ([foreground, background])."""
    colours = page.evaluate(script)

    def luminance(colour: str) -> float:
        red, green, blue = (int(part) / 255 for part in re.findall(r"[\d.]+", colour)[:3])
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted(map(luminance, colours), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_input_borders_and_the_focus_ring_stand_out_3_to_1(browser, site_origin: str, scheme: str) -> None:
    page = open_page(browser, site_origin + "search/", scheme)
    page_background = "getComputedStyle(document.body).backgroundColor"
    for control in ("#search-input", "#search-tag", "#header-search-input"):
        if page.locator(control).count():
            ratio = _contrast(page, f"[getComputedStyle(document.querySelector('{control}')).borderTopColor, {page_background}]")
            assert ratio >= 3, (control, ratio)
    page.goto(site_origin)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the skip link, to the brand
    ratio = _contrast(page, f"[getComputedStyle(document.activeElement).outlineColor, {page_background}]")
    assert ratio >= 3, ratio
    page.close()


def test_show_more_only_when_there_is_more(browser, site_origin: str) -> None:
    page = open_page(browser, site_origin + "search/")
    more = page.locator("#search-more")
    assert not more.is_visible()  # nothing typed
    for query, visible in (("zzzzqqq", False), ("xtreme", False), ("models", True)):
        page.locator("#search-input").fill(query)
        page.locator("#search-input").press("Enter")
        found = count(settle(page, query))
        assert more.is_visible() == visible == (found > 10), (query, found)
    page.close()


def test_a_tag_alone_browses_its_papers_newest_first(browser, site_origin: str, built_site: Path) -> None:
    from papershelf.catalog import load_catalog
    from papershelf.config import load_config

    catalog = load_catalog(load_config(built_site / "config.yaml"))
    tagged = catalog.tag_by_name["Multi-Task Learning"].papers
    page = open_page(browser, site_origin + "search/?tag=multi-task-learning")
    status = page.locator("#search-status").inner_text()
    assert status == f"1–10 of {len(tagged)} papers, newest first"
    links = page.locator("#search-results h2 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert links == [f"/papershelf/papers/{paper.slug}.html" for paper in tagged[:10]]
    page.locator("#search-more").click()
    page.wait_for_function("() => document.querySelectorAll('#search-results > li').length === 20")
    assert page.locator("#search-status").inner_text() == f"1–20 of {len(tagged)} papers, newest first"
    page.locator("#search-tag").select_option("")
    page.locator("#search-code").check()
    page.wait_for_function("() => /code/.test(location.search) && document.getElementById('search-results').getAttribute('aria-busy') === 'false'")
    with_code = [paper for paper in catalog.papers if paper.code_links]
    assert count(page.locator("#search-status").inner_text()) == len(with_code)
    assert page.locator("#search-results > li").first.locator(".badge-code").count() == 1
    assert page.problems == []
    page.close()


def test_the_search_box_has_focus_and_back_finds_the_results_as_left(browser, site_origin: str) -> None:
    page = open_page(browser, site_origin + "search/")
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.type("models")
    settle(page, "models")
    for shown in (10, 20):
        page.locator("#search-more").click()
        page.wait_for_function("n => document.querySelectorAll('#search-results > li').length > n", arg=shown)
    target = page.locator("#search-results > li").nth(24).locator("h2 a")
    target.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 1000
    href = target.get_attribute("href")
    target.click()
    page.wait_for_url("**" + href)
    page.go_back()
    page.wait_for_function("() => document.querySelectorAll('#search-results > li').length === 30")
    page.wait_for_function("y => Math.abs(window.scrollY - y) < 50", arg=scrolled)
    assert page.locator("#search-status").inner_text().startswith("1–30 of ")
    assert page.problems == []
    page.close()


def test_highlights_mark_words_not_the_punctuation_beside_them(browser, site_origin: str) -> None:
    page = open_page(browser, site_origin + "search/?q=merging")
    marks = page.locator("#search-results mark").all_inner_texts()
    assert marks and all(re.fullmatch(r"\w(.*\w)?", mark) for mark in marks), marks
    assert page.evaluate("document.getElementById('search-results').textContent.includes('Merging:')")
    page.close()


def test_phone_home_shows_a_paper_first_and_skip_leads_to_the_papers(browser, site_origin: str) -> None:
    page = open_page(browser, site_origin, width=390, height=844)
    first = page.locator("main .cards > li").first.bounding_box()
    assert first is not None and first["y"] + 120 < 844  # its title and the start of its excerpt
    assert page.locator("main h1").inner_text() == "Newest papers"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first_title = page.locator("main .cards h2 a").first.get_attribute("href")
    assert page.evaluate("document.activeElement.getAttribute('href')") == first_title
    page.close()


def test_the_menu_marks_where_the_reader_is(browser, site_origin: str) -> None:
    for path, current, value in (("tags/", "Tags", "page"), ("tags/retrieval/", "Tags", "true"), ("listings/", "Listings", "page"),
                                 ("about/", "About", "page"), ("search/", "Search", "page"), (Q_VLM_PAGE, None, None)):
        page = open_page(browser, site_origin + path)
        marked = page.locator(".site-header [aria-current]")
        if current is None:
            assert marked.count() == 0
        else:
            assert marked.inner_text() == current and marked.get_attribute("aria-current") == value
        page.close()


def _characters_per_line(page, selector: str) -> float:
    return page.evaluate(
        """s => { const el = document.querySelector(s); const range = document.createRange(); range.selectNodeContents(el);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        return el.textContent.length / tops.size }""",
        selector,
    )


def test_text_runs_60_to_80_characters_a_line_and_excerpts_fill_their_cards(browser, site_origin: str) -> None:
    page = open_page(browser, site_origin + Q_VLM_PAGE)
    assert 55 <= _characters_per_line(page, ".abstract") <= 80
    page.goto(site_origin + "about/")
    assert 55 <= _characters_per_line(page, ".prose p") <= 80
    page.goto(site_origin + "tags/multi-task-learning/")
    filled = page.evaluate(
        """() => [...document.querySelectorAll('.cards > li')].map(card => {
            const p = card.querySelector('p:not([class])'); if (!p) return 1;
            const range = document.createRange(); range.selectNodeContents(p);
            const widest = Math.max(...[...range.getClientRects()].map(r => r.width));
            return widest / (card.clientWidth - parseFloat(getComputedStyle(card).paddingLeft) * 2) })"""
    )
    assert min(filled) > 0.85, filled
    page.close()


def test_phone_search_placeholder_fits_and_mentions_no_key(browser, site_origin: str) -> None:
    page = open_page(browser, site_origin + "search/", width=390, height=844, is_mobile=True, has_touch=True)
    for box in ("#search-input",):
        placeholder = page.locator(box).get_attribute("placeholder")
        assert "/" not in placeholder
        fits = page.evaluate(
            """s => { const input = document.querySelector(s); const style = getComputedStyle(input);
            const context = document.createElement('canvas').getContext('2d'); context.font = style.font;
            const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return context.measureText(input.placeholder).width <= room }""",
            box,
        )
        assert fits, placeholder
    assert not page.locator(".key-hint").is_visible()
    page.close()
    desktop = open_page(browser, site_origin + "search/")
    assert desktop.locator(".key-hint").is_visible()
    desktop.close()


def test_tag_pages_show_no_paper_twice_and_archive_pages_say_which_papers_they_hold(built_site: Path) -> None:
    from tests.conftest import file_text

    tag_dir = built_site / "site" / "tags" / "multi-task-learning"
    front = file_text(tag_dir / "index.html")
    pages = sorted(tag_dir.glob("page/*/index.html"))
    assert len(pages) == 2
    first, second = (file_text(page) for page in pages)
    links = lambda html: re.findall(r'<li><h2><a href="([^"]+)"', html)  # noqa: E731
    assert len(links(first)) == 50 and len(links(second)) == 10
    # The front shows the newest page's 10 and, as those are fewer than 50, the page before:
    # all 60, so there is no older page to link to and no paper is shown twice.
    assert links(front) == links(second) + links(first) and 'rel="next"' not in front
    assert "Papers 1–50 tagged Multi-Task Learning, counted from the oldest; added Nov 23, 2025" in first
    assert "Papers 51–60 tagged Multi-Task Learning" in second


def test_front_pages_then_older_pages_never_repeat_a_paper() -> None:
    from papershelf.pages import front_papers

    for total in range(1, 400):
        shown = front_papers(total, 50)
        assert min(total, 50) <= shown <= min(total, 99)
        assert (total - shown) % 50 == 0  # what is left is whole archive pages


def test_paper_pages_carry_link_preview_and_scholarly_metadata(built_site: Path) -> None:
    from tests.conftest import file_text

    page = file_text(built_site / "site" / Q_VLM_PAGE)
    url = "https://example.github.io/papershelf/" + Q_VLM_PAGE
    assert "<title>Q-VLM: Post-training Quantization for Large Vision-Language Models · Papershelf</title>" in page
    assert f'<meta property="og:url" content="{url}">' in page
    assert '<meta property="og:site_name" content="Papershelf">' in page and '<meta name="twitter:card" content="summary">' in page
    description = re.search(r'<meta property="og:description" content="([^"]+)">', page).group(1)
    assert description.startswith("In this paper, we propose a post-training quantization") and len(description) <= 111
    assert "first seen" not in page  # listed once: nothing to tell apart
    several = file_text(built_site / "site" / "papers" / "combiner-full-attention-transformer-with-sparse.html")
    assert several.count('<span class="badge">first seen</span>') == 1
    data = json.loads(re.search(r'<script type="application/ld\+json">(.+?)</script>', page).group(1))
    assert data == {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": "Q-VLM: Post-training Quantization for Large Vision-Language Models",
        "keywords": ["Quantization", "Vision-Language and Multimodal"],
    }


def test_a_paper_page_finds_the_paper_elsewhere_and_copies_its_citation(browser, site_origin: str) -> None:
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_origin.split("/papershelf/")[0])
    page = context.new_page()
    page.goto(site_origin + Q_VLM_PAGE)
    title = "Q-VLM: Post-training Quantization for Large Vision-Language Models"
    assert page.locator(".paper .short-name").count() == 0  # the title starts with it: not said twice
    hrefs = page.locator(".find-links a").evaluate_all("els => els.map(e => e.href)")
    assert [href.split("?")[0] for href in hrefs] == [
        "https://arxiv.org/search/", "https://www.semanticscholar.org/search", "https://scholar.google.com/scholar", "https://huggingface.co/papers",
    ]
    assert all(title.split(":")[0] in urllib_unquote(href) for href in hrefs)
    page.get_by_role("button", name="Copy BibTeX").click()
    page.wait_for_function("() => document.querySelector('.copied').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@misc{q-vlm-post-training,\n  title = {{" + title + "}},")
    assert "\\url{" + site_origin + Q_VLM_PAGE + "}" in copied and "note = {Tags: Quantization, Vision-Language and Multimodal}" in copied
    context.close()


def urllib_unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


def test_a_reading_list_kept_in_the_browser_and_exported(browser, site_origin: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_origin + "tags/quantization/")
    first_card = page.locator(".cards > li").first
    first_title = first_card.locator("h2 a").inner_text()
    first_card.locator("button.save").click()
    assert first_card.locator("button.save").get_attribute("aria-pressed") == "true"
    page.goto(site_origin + Q_VLM_PAGE)
    page.locator(".paper-actions button.save").click()
    assert page.locator(".paper-actions button.save").inner_text().startswith("★ Saved")
    page.goto(site_origin + "search/?q=merging")  # cards of search results can be saved too
    settle(page, "merging")
    assert page.locator("#search-results > li").first.locator("button.save").count() == 1
    page.locator(".site-header nav a", has_text="Saved").click()
    page.wait_for_url("**/saved/")
    saved = page.locator("#saved-list h2 a").all_inner_texts()
    assert saved == [first_title, "Q-VLM: Post-training Quantization for Large Vision-Language Models"]
    assert page.locator("#saved-status").inner_text().startswith("2 saved papers")
    bibtex = page.evaluate("fetch(document.getElementById('saved-bibtex').href).then(r => r.text())")
    assert bibtex.count("@misc{") == 2 and first_title.split(":")[0] in bibtex
    exported = json.loads(page.evaluate("fetch(document.getElementById('saved-json').href).then(r => r.text())"))
    assert [paper["title"] for paper in exported] == saved and all(paper["url"].startswith(site_origin + "papers/") for paper in exported)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reader-saved-desktop.png"))
    page.locator("#saved-list button.save").first.click()  # unsave
    assert page.locator("#saved-list h2 a").all_inner_texts() == saved[1:]
    page.reload()  # kept across visits
    assert page.locator("#saved-list h2 a").all_inner_texts() == saved[1:]
    assert axe_violations(page) == []
    context.close()


def test_j_and_k_move_through_a_list_and_enter_opens(browser, site_origin: str) -> None:
    page = open_page(browser, site_origin + "tags/retrieval/")
    titles = page.locator(".cards > li > h2 a")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.textContent") == titles.nth(0).inner_text()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.textContent") == titles.nth(1).inner_text()
    href = titles.nth(1).get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url("**" + href)
    # Search results too, once the reader has left the search box.
    page.goto(site_origin + "search/?q=merging")
    settle(page, "merging")
    page.locator("main h1").click()
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.getAttribute('href')") == page.locator("#search-results > li > h2 a").nth(1).get_attribute("href")
    page.close()
