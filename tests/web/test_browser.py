"""The web app in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright; never ``playwright install``). Screenshots go to var/test-artifacts/web/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.web.conftest import XSS_TITLE, Seeded

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "web"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium (install it with `apt-get install -y chromium`; .ci/run does)",
)


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The browser tests use a SQLite file; the HTTP tests cover both databases."""
    return f"sqlite:///{tmp_path / 'govwatch.sqlite3'}"


@pytest.fixture
def page(site: str) -> Iterator[Any]:
    from playwright import sync_api  # a dev dependency: a broken install fails, never skips

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda error: errors.append(str(error)))
        yield tab
        browser.close()
        assert errors == [], f"the browser reported errors (CSP violations?): {errors}"


def titles(page: Any) -> list[str]:
    found: list[str] = page.locator("#results a.title").all_inner_texts()
    return found


@pytest.mark.parametrize(
    ("query", "expected", "shot"),
    [
        ("半導体", ["半導体産業の新たな戦略について"], "search-ja"),
        ("电池", [], "search-zh-none"),
        ("人工智能", ["关于人工智能产业发展的指导意见"], "search-zh"),
        ("반도체", ["반도체 수출 규제 강화 방안 발표"], "search-ko"),
        ("電池", ["蓄電池の安全基準を改正"], "search-ja-2chars"),
    ],
)
def test_typing_a_cjk_substring_narrows_the_list(
    page: Any, query: str, expected: list[str], shot: str
) -> None:
    tab = page
    tab.goto("/")
    assert len(titles(tab)) == 8
    tab.fill("#q", query)
    # htmx swaps the results in place as one types, and pushes the URL
    tab.wait_for_url(lambda url: "q=" in url)
    tab.wait_for_function(
        "n => document.querySelectorAll('#results a.title').length === n", arg=len(expected)
    )
    assert titles(tab) == expected
    tab.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)


def test_filter_open_a_publication_and_follow_its_feed(page: Any, seeded: Seeded) -> None:
    tab = page
    tab.goto("/")
    tab.select_option("select[name=topic]", "AI")
    tab.wait_for_url(lambda url: "topic=AI" in url)
    tab.wait_for_function("() => document.querySelectorAll('#results a.title').length === 3")
    tab.select_option("select[name=country]", "US")
    tab.wait_for_function("() => document.querySelectorAll('#results a.title').length === 1")
    tab.screenshot(path=str(ARTIFACTS / "filter-topic-country.png"), full_page=True)
    feed_href = tab.get_attribute("#atom-link", "href")
    assert "topic=AI" in feed_href
    assert "country=US" in feed_href
    tab.click("#results a.title")
    tab.wait_for_url("**/publications/*")
    assert tab.inner_text("#title") == "FTC announces rule on AI transparency"
    assert "sent" in tab.inner_text("table.outbox")
    tab.screenshot(path=str(ARTIFACTS / "publication.png"), full_page=True)
    response = tab.request.get(feed_href)
    feed = feedparser.parse(response.text())
    assert [entry.title for entry in feed.entries] == ["FTC announces rule on AI transparency"]


def test_markup_title_is_shown_as_text_and_runs_nothing(page: Any, seeded: Seeded) -> None:
    tab = page
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.goto(f"/publications/{seeded.ids[XSS_TITLE]}")
    assert tab.inner_text("#title") == XSS_TITLE
    assert tab.locator("img").count() == 0
    tab.goto("/?q=Budget")
    assert titles(tab) == [XSS_TITLE]
    tab.screenshot(path=str(ARTIFACTS / "markup-title.png"), full_page=True)
    assert dialogs == []


def test_sources_page_renders(page: Any) -> None:
    tab = page
    tab.goto("/sources")
    assert tab.locator("table.sources tbody tr").count() == 5
    tab.screenshot(path=str(ARTIFACTS / "sources.png"), full_page=True)
