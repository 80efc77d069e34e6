"""The search page in headless Chromium: typing, result links, the URL round trip, filters,
hostile input, and a sample of the catalog's words through the real page."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from papershelf.catalog import load_catalog
from papershelf.config import load_config
from papershelf.search.documents import search_order

HOSTILE = [
    "foo:", "title:quantization", "~", "+", "-", "^", "*", "+-~^:*", '"unclosed quote', "'single'",
    "https://github.com/ChangyuanWang17/QVLM", "a" * 300, "模型 量化", "Привет мир", "<script>alert(1)</script>",
    "\\", "((()))", "%", "?q=1&tag=", "quantization~2^10", "-quantization", "\u0000\u200b", "🙂",
]


@pytest.fixture
def page(browser, site_origin: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    page.close()


def results(page) -> list[str]:
    return page.locator("#search-results h2 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")


def settle(page, query: str) -> str:
    """Wait until the results for `query` are complete; returns the status line."""
    page.wait_for_function(
        "q => document.getElementById('search-results').getAttribute('data-query') === q", arg=query.strip(), timeout=10000
    )
    return page.locator("#search-status").inner_text()


def count(status: str) -> int:
    """The number of results a status line gives: "1–10 of 22 results", "3 results"."""
    if status.startswith("No results"):
        return 0
    return int(status.split(" of ")[-1].split()[0])


def test_typing_shows_ranked_results_that_lead_to_the_paper(page, site_origin: str) -> None:
    page.goto(site_origin + "search/")
    page.locator("#search-input").press_sequentially("quantization", delay=20)
    found = count(settle(page, "quantization"))
    assert found >= 8
    links = results(page)
    assert len(links) == min(10, found)
    assert page.locator("#search-results mark").count() >= len(links)
    first_title = page.locator("#search-results h2 a").first.inner_text()
    assert "quantiz" in first_title.lower()
    page.locator("#search-results h2 a").first.click()
    page.wait_for_url("**/papers/*.html")
    assert page.locator("main h1").inner_text() == first_title
    assert page.problems == []


def test_prefix_and_typo(page, site_origin: str) -> None:
    page.goto(site_origin + "search/?q=quanti")
    assert count(settle(page, "quanti")) >= 8
    assert any("quantiz" in title.lower() for title in page.locator("#search-results h2").all_inner_texts())
    page.goto(site_origin + "search/?q=transfomer")
    assert count(settle(page, "transfomer")) > 50


def test_query_round_trips_through_the_url_and_history(page, site_origin: str) -> None:
    page.goto(site_origin + "search/?q=merging")
    assert page.locator("#search-input").input_value() == "merging"
    merging = settle(page, "merging")
    page.wait_for_timeout(1600)
    page.locator("#search-input").fill("speech recognition")
    page.wait_for_url(re.compile(r".*q=speech\+recognition.*"))
    speech = settle(page, "speech recognition")
    assert speech != merging
    page.go_back()
    page.wait_for_url(re.compile(r".*q=merging$"))
    assert page.locator("#search-input").input_value() == "merging"
    assert settle(page, "merging") == merging
    page.go_forward()
    page.wait_for_url(re.compile(r".*q=speech\+recognition.*"))
    assert page.locator("#search-input").input_value() == "speech recognition"
    assert page.problems == []


def test_tag_and_code_filters(page, site_origin: str) -> None:
    page.goto(site_origin + "search/?q=model")
    everything = count(settle(page, "model"))
    page.locator("#search-tag").select_option("quantization")
    page.wait_for_url(re.compile(r".*tag=quantization.*"))
    page.wait_for_function("() => document.getElementById('search-results').getAttribute('aria-busy') === 'false'")
    tagged = count(settle(page, "model"))
    assert 0 < tagged < everything
    cards = page.locator("#search-results > li").all()
    assert len(cards) == min(tagged, 10)
    for card in cards:
        assert card.locator(".tags a", has_text="Quantization").count() == 1
    page.locator("#search-code").check()
    page.wait_for_url(re.compile(r".*code=1.*"))
    page.wait_for_function("() => document.getElementById('search-results').getAttribute('aria-busy') === 'false'")
    assert count(settle(page, "model")) <= tagged
    cards = page.locator("#search-results > li").all()
    assert cards
    for card in cards:
        assert card.locator(".badge-code").count() == 1
    page.goto(site_origin + "search/?q=model&code=1&tag=quantization")
    assert page.locator("#search-code").is_checked() and page.locator("#search-tag").input_value() == "quantization"
    assert page.problems == []


def test_hostile_input_never_breaks_the_page(page, site_origin: str) -> None:
    page.goto(site_origin + "search/")
    box = page.locator("#search-input")
    for text in HOSTILE:
        box.fill(text)
        box.press("Enter")
        status = settle(page, box.input_value().strip())
        assert re.match(r"^(1–\d+ of \d+ results|\d+ results?|No results|Type to search)", status), (text, status)
    box.fill("quantization")
    box.press("Enter")
    assert count(settle(page, "quantization")) > 0
    page.goto(site_origin + "search/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    settle(page, "<script>alert(1)</script>")
    assert page.locator("#search-results script").count() == 0
    assert page.problems == []


def test_slash_focuses_the_search_box_and_header_form_searches(page, site_origin: str) -> None:
    page.goto(site_origin)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "header-search-input"
    page.keyboard.type("mixture of experts")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=mixture+of+experts")
    assert count(settle(page, "mixture of experts")) > 5
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-input"


def test_a_sample_of_words_through_the_real_page(page, site_origin: str, built_site: Path) -> None:
    papers = search_order(load_catalog(load_config(built_site / "config.yaml")).papers)
    by_word: dict[str, set[str]] = {}
    for paper in papers:
        for word in set(re.findall(r"[A-Za-z]{4,}", f"{paper.title} {paper.abstract}")):
            by_word.setdefault(word.lower(), set()).add(paper.slug)
    rare = sorted(word for word, slugs in by_word.items() if len(slugs) <= 3)
    page.goto(site_origin + "search/")
    for word in random.Random(3).sample(rare, 25):
        page.locator("#search-input").fill(word)
        page.locator("#search-input").press("Enter")
        found = count(settle(page, word))
        shown = set(results(page))
        for slug in by_word[word]:
            assert f"/papershelf/papers/{slug}.html" in shown or found > 10, (word, slug)
    assert page.problems == []


def test_more_pages_through_a_common_word_in_the_unsplit_order(page, site_origin: str, built_site: Path, tmp_path: Path) -> None:
    """A word in most papers: every page "More" adds continues the order the unsplit index
    gives, although the page scores only the documents that can be on it."""
    from papershelf.search.reference import build_index
    from tests.test_search import node

    papers = search_order(load_catalog(load_config(built_site / "config.yaml")).papers)
    (tmp_path / "unsplit.json").write_text(json.dumps(build_index(papers).serialize()))
    expected = [f"/papershelf/papers/{papers[ref].slug}.html" for ref in node("whole", str(built_site / "site"), str(tmp_path / "unsplit.json"), "models")["refs"]]
    page.goto(site_origin + "search/?q=models")
    assert count(settle(page, "models")) == len(expected) > 200
    for shown in (10, 20, 30):
        assert results(page) == expected[:shown]
        page.locator("#search-more").click()
        page.wait_for_function("n => document.querySelectorAll('#search-results > li').length > n", arg=shown)
    assert page.problems == []


def test_first_search_cost(browser, site_origin: str) -> None:
    """Records what the first search in a fresh browser transfers and how long results take
    after the last index file arrives (reported, not asserted as a timing)."""
    import gzip
    import urllib.request

    context = browser.new_context()
    page = context.new_page()
    fetched: list[str] = []
    page.on("requestfinished", lambda request: fetched.append(request.url) if "/search/" in request.url and request.url.endswith(".json") else None)
    page.goto(site_origin + "search/")
    page.evaluate(
        """() => new MutationObserver(() => { window.settledAt = performance.now() })
            .observe(document.getElementById('search-results'), {attributes: true, attributeFilter: ['data-query']})"""
    )
    page.locator("#search-input").fill("quantization")
    settle(page, "quantization")
    after_index = page.evaluate(
        """() => window.settledAt - Math.max(...performance.getEntriesByType('resource')
            .filter(e => e.name.includes('/search/t/')).map(e => e.responseEnd))"""
    )
    print(f"\nresults shown {after_index:.0f} ms after the last index shard arrived")
    raw = compressed = 0
    for url in fetched:
        data = urllib.request.urlopen(url).read()
        raw += len(data)
        compressed += len(gzip.compress(data, 9))
    print(f"first search 'quantization': {len(fetched)} files, {raw} bytes raw, {compressed} bytes gzip")
    assert fetched and compressed < 150_000
    context.close()


CARD_SHAPE = """li => ({
    parts: Array.from(li.querySelectorAll("*")).filter(e => e.tagName !== "MARK")
        .map(e => e.tagName + (e.className ? "." + e.className : "")),
    links: Array.from(li.querySelectorAll("a")).map(a => [a.getAttribute("href"), a.textContent]),
    name: (li.querySelector(".short-name") || {}).textContent || null,
})"""


def test_a_result_is_the_card_lists_show_with_the_same_links(page, site_origin: str) -> None:
    """Results are filled into the card template the build emits, and link where the
    config's URL patterns say, under the site's base path: the same parts, links and names
    as the paper's card on its listing."""
    page.goto(site_origin + "listings/")
    for listing in page.locator("main a[href*='/listings/']").evaluate_all("els => els.map(e => e.href)"):
        page.goto(listing)
        cards = page.locator("main .cards > li").filter(has=page.locator(".badge-code")).filter(has=page.locator(".tags a"))
        cards = cards.filter(has_not=page.locator(".badge", has_text="seen before"))
        if cards.count():
            break
    listed = cards.first.evaluate(CARD_SHAPE)
    title = cards.first.locator("h2 a").inner_text()
    page.goto(site_origin + "search/")
    page.locator("#search-input").fill(title)
    settle(page, title)
    found = page.locator("#search-results > li").first.evaluate(CARD_SHAPE)
    assert found == listed and listed["links"][0][0].startswith("/papershelf/papers/")
    assert page.locator("#search-results [data-part]").count() == 0 and page.problems == []


def test_a_misspelt_word_is_respelled_and_a_query_with_no_result_offers_fewer_words(page, site_origin: str) -> None:
    """A typo in a word's first letters puts it in another shard than the one meant; a typo
    in what the stem drops changes the stem: both are respelled with the catalog's closest
    term, and the status says what was searched. Two words no paper holds together offer
    the query less one of them, and following the offer searches it."""
    page.goto(site_origin + "search/?q=rtansformer%20quantization")
    status = settle(page, "rtansformer quantization")
    assert count(status) >= 5 and "for “transformer quantization”" in status and "Nothing matches “rtansformer quantization”" in status
    page.goto(site_origin + "search/?q=quantizaton")
    status = settle(page, "quantizaton")
    assert count(status) >= 10 and "for “quantization”" in status  # the stem spelled as the results spell it
    page.goto(site_origin + "search/?q=nach0%20swin")
    status = settle(page, "nach0 swin")
    assert status.startswith("No paper has all of “nach0 swin”.") and "Did you mean" in status
    offered = page.locator("#search-status a")
    query = offered.inner_text()
    assert query in ("nach0", "swin")
    offered.click()
    assert count(settle(page, query)) >= 1 and page.locator("#search-input").input_value() == query
    page.wait_for_url(re.compile(r".*q=" + query + ".*"))
    assert page.problems == []


def test_a_quoted_phrase_finds_its_words_side_by_side_and_offers_them_unquoted_when_absent(page, site_origin: str) -> None:
    """Quotes narrow a query to the papers that have its words next to each other, in order
    (the first result says the phrase); a phrase no paper has offers the query
    without quotes, and the page loads the phrases' positions only for quoted queries."""
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(site_origin + "search/?q=knowledge%20distillation")
    words = count(settle(page, "knowledge distillation"))
    assert not any("/search/x/" in url for url in fetched)
    page.goto(site_origin + "search/?q=%22knowledge%20distillation%22")
    quoted = count(settle(page, '"knowledge distillation"'))
    assert 5 <= quoted < words and any("/search/x/" in url for url in fetched)
    first = page.locator("#search-results > li").first.inner_text()
    assert "knowledge distillation" in " ".join(first.lower().replace("-", " ").split())
    page.goto(site_origin + "search/?q=%22knowledge%20quantization%22")
    status = settle(page, '"knowledge quantization"')
    assert status.startswith("No paper has the phrase “knowledge quantization”.") and "Did you mean" in status
    page.locator("#search-status a").click()
    assert count(settle(page, "knowledge quantization")) == 2 and page.problems == []
