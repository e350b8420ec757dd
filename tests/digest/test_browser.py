"""The digest review in a real headless Chromium (Debian's /usr/bin/chromium driven by
Playwright; never ``playwright install``). Screenshots go to var/test-artifacts/digest/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from storage import digests as store
from storage.db import transaction
from tests.digest.conftest import XSS_TITLE
from tests.digest.web import DIGEST_CHANNEL, PASSWORD, DigestSite, digest_site
from tests.servers.slack import TOKEN
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "digest"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium (install it with `apt-get install -y chromium`; .ci/run does)",
)


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The browser test uses a SQLite file; the HTTP tests cover both databases."""
    return f"sqlite:///{tmp_path / 'govwatch.sqlite3'}"


@pytest.fixture
def site(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DigestSite]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    with digest_site(engine, tmp_path / "out") as running:
        yield running


@pytest.fixture
def tab(site: DigestSite) -> Iterator[Any]:
    from playwright import sync_api  # a dev dependency: a broken install fails, never skips

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=site.base, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        yield page
        browser.close()
        assert errors == [], f"the browser reported errors (CSP violations?): {errors}"
        assert dialogs == [], "a script from a title ran"


def mark_body(tab: Any) -> None:
    """Mark the page's current body, so a wait can tell the swapped one from it."""
    tab.evaluate("() => { document.getElementById('digest-body').staleBody = true; }")


def wait_for_swap(tab: Any, condition: str = "true") -> None:
    """Wait until htmx has swapped in a new body (the marked one is gone) where the JS
    ``condition`` holds. A condition alone can hold before the swap (a value just typed, an
    item Sortable already moved in the page), and a click on the old body may be dropped."""
    tab.wait_for_function(
        "() => { const body = document.getElementById('digest-body');"
        f" return !!body && !body.staleBody && ({condition}); }}"
    )


def item_titles(tab: Any, country: str) -> list[str]:
    found: list[str] = tab.locator(f"#country-{country} a.title").all_inner_texts()
    return found


def test_an_editor_reviews_approves_and_publishes(tab: Any, site: DigestSite) -> None:
    path = f"/digests/{site.digest_id}"
    tab.goto(path)
    tab.wait_for_url("**/login**")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"**{path}")
    assert item_titles(tab, "JP") == ["AI事業者ガイドライン", "蓄電池の安全基準"]
    assert tab.locator("a.title", has_text="<script>").inner_text() == XSS_TITLE
    ids = {p.title: item.id for item, p in _items(site)}

    # exclude the DE item with the keyboard: j moves to it (first item), x toggles and saves
    tab.keyboard.press("j")
    assert (
        tab.get_attribute("li.digest-item.current", "id")
        == f"item-{ids['Förderprogramm KI gestartet']}"
    )
    tab.keyboard.press("x")
    tab.wait_for_function("id => document.getElementById(id)?.classList.contains('excluded')",
                          arg=f"item-{ids['Förderprogramm KI gestartet']}")  # fmt: skip

    # edit key points (the htmx form saves and swaps the body)
    battery = f"#item-{ids['蓄電池の安全基準']}"
    tab.fill(f"{battery} textarea", "安全基準を改正。来年四月に施行。")
    mark_body(tab)
    tab.click(f"{battery} button.save")
    wait_for_swap(
        tab,
        f"document.querySelector('{battery} textarea')?.value === '安全基準を改正。来年四月に施行。'"
        f" && !document.querySelector('{battery}')?.classList.contains('excluded')",
    )

    # reorder: the battery item up, above the AI guideline
    tab.click(f"{battery} button.up")
    tab.wait_for_function(  # the list is swapped whole: the element may be absent a moment
        "() => document.querySelector('#country-JP a.title')?.innerText === '蓄電池の安全基準'"
    )
    assert item_titles(tab, "JP") == ["蓄電池の安全基準", "AI事業者ガイドライン"]

    # mark a lead
    korean = f"#item-{ids['반도체 수출 규제 발표']}"
    tab.check(f"{korean} input[name=lead]")
    tab.wait_for_function(
        "sel => document.querySelector(sel)?.classList.contains('lead')", arg=korean
    )
    tab.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)

    # approve, then publish
    tab.fill("#approved-by", "Ada Editor")
    tab.click("#approve")
    tab.wait_for_function("() => document.getElementById('digest-state')?.innerText === 'approved'")
    tab.click("#publish")
    tab.wait_for_function(
        "() => document.getElementById('digest-state')?.innerText === 'published'"
    )
    assert "approved by Ada Editor" in tab.inner_text(".period")

    # the stored digest says what the editor did; the publication is unchanged
    rows = {p.title: (item, p) for item, p in _items(site)}
    assert rows["Förderprogramm KI gestartet"][0].included is False
    assert rows["蓄電池の安全基準"][0].key_points == "安全基準を改正。来年四月に施行。"
    assert rows["蓄電池の安全基準"][1].summary == "蓄電池の安全基準を改正した。来年施行する。"
    assert rows["반도체 수출 규제 발표"][0].lead is True

    # HTML: one table per published country, in the editor's order, the title as text
    tab.goto(f"{path}/digest.html")
    assert tab.locator("table.bulletin").count() == 3
    assert tab.locator("h2").all_inner_texts() == ["🇯🇵 JP", "🇰🇷 KR", "🇺🇸 US"]
    jp = tab.locator("#country-JP + table a").all_inner_texts()
    assert jp == ["蓄電池の安全基準", "AI事業者ガイドライン"]
    assert XSS_TITLE in tab.inner_text("body")
    assert "Förderprogramm" not in tab.inner_text("body")
    tab.screenshot(path=str(ARTIFACTS / "published.png"), full_page=True)
    html_file = (site.output_dir / "digest-2026-W48.html").read_text(encoding="utf-8")
    assert "<script>" not in html_file
    assert "&lt;script&gt;" in html_file

    markdown = (site.output_dir / "digest-2026-W48.md").read_text(encoding="utf-8")
    assert markdown.index("蓄電池の安全基準") < markdown.index("AI事業者ガイドライン")
    assert "安全基準を改正。来年四月に施行。" in markdown
    assert "**Lead** · [반도체 수출 규제 발표]" in markdown
    assert "<script>" not in markdown
    assert "Förderprogramm" not in markdown

    # Slack: one message per country, the lead starred, markup escaped
    posted = site.slack.posted(DIGEST_CHANNEL)
    assert [m.text.split()[-1] for m in posted] == ["JP", "KR", "US"]
    korean_text = str(posted[1].blocks)
    assert ":star:" in korean_text
    us_text = str(posted[2].blocks)
    assert "&lt;script&gt;" in us_text
    assert "<script>" not in us_text

    # publishing again (another click on a stale page) posts nothing more
    response = tab.request.post(
        f"{path}/state", form={"action": "publish", "csrf_token": _token(tab, path)}
    )
    assert response.ok
    assert len(site.slack.posted(DIGEST_CHANNEL)) == 3


def test_dragging_an_item_reorders_its_section_and_the_stored_order(
    tab: Any, site: DigestSite
) -> None:
    path = f"/digests/{site.digest_id}"
    tab.goto(path)
    tab.wait_for_url("**/login**")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"**{path}")
    ids = {p.title: item.id for item, p in _items(site)}
    assert item_titles(tab, "JP") == ["AI事業者ガイドライン", "蓄電池の安全基準"]
    battery, guideline = f"#item-{ids['蓄電池の安全基準']}", f"#item-{ids['AI事業者ガイドライン']}"
    # the handle shows only once the script has made the list draggable
    tab.wait_for_selector("#country-JP ol.digest-items.can-drag")
    assert tab.locator(f"{battery} .drag-handle").is_visible()

    # drag the battery item by its handle onto the top of the guideline item; the body is
    # swapped whole once the order is stored
    mark_body(tab)
    tab.locator(f"{battery} .drag-handle").drag_to(
        tab.locator(guideline), target_position={"x": 20, "y": 3}
    )
    wait_for_swap(
        tab,
        "document.querySelector('#country-JP a.title')?.innerText === '蓄電池の安全基準'"
        " && document.querySelector('#country-JP ol.can-drag') !== null",
    )
    stored = [p.title for item, p in _items(site) if item.country == "JP"]
    assert stored == ["蓄電池の安全基準", "AI事業者ガイドライン"]
    assert item_titles(tab, "JP") == stored

    # and back, after the swap: the new list is draggable too; a reload shows the stored order
    mark_body(tab)
    tab.locator(f"{guideline} .drag-handle").drag_to(
        tab.locator(battery), target_position={"x": 20, "y": 3}
    )
    wait_for_swap(
        tab, "document.querySelector('#country-JP a.title')?.innerText === 'AI事業者ガイドライン'"
    )
    tab.reload()
    assert item_titles(tab, "JP") == ["AI事業者ガイドライン", "蓄電池の安全基準"]
    assert [p.title for item, p in _items(site) if item.country == "JP"] == item_titles(tab, "JP")


def _items(site: DigestSite) -> list[Any]:
    with transaction(site.engine) as session:
        return store.items(session, site.digest_id)


def _token(tab: Any, path: str) -> str:
    tab.goto(path)
    token: str = tab.get_attribute("input[name=csrf_token]", "value")
    return token
