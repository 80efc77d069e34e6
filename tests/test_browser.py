"""Clicking through the real site in headless Chromium, at phone and desktop widths."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT

Q_VLM = "q-vlm-post-training-quantization-for-large-vision"
# Their own folder, ignored by git: never the build cache, which a build may clear.
SCREENSHOTS = ROOT / "test-output" / "screenshots"


def test_screenshots_have_their_own_ignored_folder() -> None:
    from papershelf.config import load_config

    cache = load_config(ROOT / "config.yaml").cache_dir
    assert not SCREENSHOTS.resolve().is_relative_to(cache)
    ignored = subprocess.run(["git", "check-ignore", "-q", str(SCREENSHOTS / "home-phone.png")], cwd=ROOT)
    assert ignored.returncode == 0


@pytest.mark.parametrize("width,height,name", [(390, 844, "phone"), (1280, 900, "desktop")])
def test_browse_home_tag_and_paper(browser, site_origin: str, width: int, height: int, name: str) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    # A request cut short by the next navigation (net::ERR_ABORTED) is not a failure.
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}") if "ABORTED" not in (request.failure or "") else None)
    page.on("response", lambda response: problems.append(f"{response.status}: {response.url}") if response.status >= 400 else None)

    page.goto(site_origin)
    assert page.title() == "Papershelf"
    assert page.locator("main h1").inner_text() == "Newest papers"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"home-{name}.png"), full_page=False)

    page.locator(".intro .tags a", has_text="Retrieval").first.click()
    page.wait_for_url("**/tags/retrieval/")
    assert page.locator("main h1").inner_text().endswith("Retrieval")
    cards = page.locator(".cards h2 a")
    assert cards.count() >= 10
    title = cards.first.inner_text()
    cards.first.click()
    page.wait_for_url("**/papers/*.html")
    assert page.locator("main h1").inner_text() == title
    assert page.title().startswith(title)
    assert page.locator(".paper .tags a", has_text="Retrieval").count() == 1
    page.screenshot(path=str(SCREENSHOTS / f"paper-{name}.png"), full_page=True)

    page.locator(".related a").first.click()
    page.wait_for_url("**/papers/*.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.goto(site_origin + "404.html")
    assert page.locator("main h1").inner_text() == "Page not found"
    page.locator("main a", has_text="newest papers").click()
    page.wait_for_url(site_origin)
    assert problems == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.close()


def test_no_horizontal_scroll_on_phone(browser, site_origin: str) -> None:
    page = browser.new_page(viewport={"width": 320, "height": 640})
    for path in ("", "tags/", "listings/", "about/", f"papers/{Q_VLM}.html"):
        page.goto(site_origin + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    page.close()
