"""The review forms over real HTTP: login and CSRF required, plain forms work, publish once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from crawler.digest.build import build_digest
from crawler.digest.period import week
from storage import digests as store
from storage.db import transaction
from storage.models import AlertOutbox
from tests.digest.conftest import at
from tests.digest.web import DIGEST_CHANNEL, DigestSite, csrf, digest_site, logged_in
from tests.servers.slack import TOKEN
from tests.web.http import Browser


@pytest.fixture
def site(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DigestSite]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    with digest_site(engine, tmp_path / "out") as running:
        yield running


def first_item(site: DigestSite) -> int:
    with transaction(site.engine) as session:
        return store.items(session, site.digest_id)[0][0].id


def test_review_needs_a_session_even_on_loopback(site: DigestSite) -> None:
    anonymous = Browser(site.base)
    answer = anonymous.get(f"/digests/{site.digest_id}")
    assert answer.status == 303
    assert answer.headers["Location"].startswith("/login")
    item = first_item(site)
    token = csrf(anonymous, "/login")  # a token, but no logged-in session
    refused = anonymous.post(f"/digests/{site.digest_id}/items/{item}", {"csrf_token": token})
    assert refused.status == 303
    assert "/login" in refused.headers["Location"]
    with transaction(site.engine) as session:
        assert store.items(session, site.digest_id)[0][0].included is True


def test_a_post_without_the_csrf_token_is_refused(site: DigestSite) -> None:
    browser = logged_in(site.base)
    item = first_item(site)
    for form in ({}, {"csrf_token": "forged"}):
        answer = browser.post(
            f"/digests/{site.digest_id}/items/{item}", {**form, "key_points": "x"}
        )
        assert answer.status == 403
    answer = browser.post(
        f"/digests/{site.digest_id}/state", {"action": "approve", "approved_by": "Mallory"}
    )
    assert answer.status == 403
    with transaction(site.engine) as session:
        digest = store.get_digest(session, site.digest_id)
        assert digest is not None
        assert digest.state == "draft"
        assert store.items(session, site.digest_id)[0][0].key_points != "x"


def test_plain_forms_edit_approve_and_publishing_twice_posts_once(site: DigestSite) -> None:
    browser = logged_in(site.base)
    path = f"/digests/{site.digest_id}"
    token = csrf(browser, path)
    item = first_item(site)
    answer = browser.post(
        f"{path}/items/{item}", {"csrf_token": token, "key_points": "Mine.", "action": "save"}
    )
    assert answer.status == 303
    assert answer.headers["Location"] == f"{path}#item-{item}"
    browser.post(f"{path}/state", {"csrf_token": token, "action": "approve", "approved_by": "Ada"})
    assert "approved by Ada" in browser.get(path).body
    for _ in range(2):
        answer = browser.post(f"{path}/state", {"csrf_token": token, "action": "publish"})
        assert answer.status == 303
    posted = site.slack.posted(DIGEST_CHANNEL)
    # one message per country: JP, KR, US (DE had one item, now excluded)
    assert sorted(m.text.split()[-1] for m in posted) == ["JP", "KR", "US"]
    with transaction(site.engine) as session:
        rows = list(session.scalars(select(AlertOutbox).where(AlertOutbox.kind == "digest")))
        assert [row.status for row in rows] == ["sent"] * 3
        assert store.items(session, site.digest_id)[0][0].key_points == "Mine."
    assert "Mine." not in str([m.blocks for m in posted])  # the excluded item is not published
    markdown = browser.get(f"{path}/digest.md").body
    assert markdown.count("| Title (publisher / date) | Key points |") == 3
    assert (site.output_dir / "digest-2026-W48.md").read_text(encoding="utf-8") == markdown


def test_the_outputs_download_under_the_digest_label_and_a_missing_digest_is_404(
    site: DigestSite,
) -> None:
    browser = logged_in(site.base)
    path = f"/digests/{site.digest_id}"
    for suffix, media in ((".html", "text/html"), (".md", "text/markdown")):
        answer = browser.get(f"{path}/digest{suffix}?download=1")
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith(media)
        assert answer.headers["Content-Disposition"] == (
            f'attachment; filename="digest-2026-W48{suffix}"'
        )
        assert "Content-Disposition" not in browser.get(f"{path}/digest{suffix}").headers
        assert browser.get(f"/digests/{site.digest_id + 999}/digest{suffix}").status == 404


def section_order(site: DigestSite, country: str) -> list[str]:
    with transaction(site.engine) as session:
        return [
            p.title for item, p in store.items(session, site.digest_id) if item.country == country
        ]


def test_the_order_of_a_section_is_set_whole_and_only_with_session_csrf_and_its_own_items(
    site: DigestSite,
) -> None:
    path = f"/digests/{site.digest_id}"
    ids = site.stored.ids
    with transaction(site.engine) as session:
        item_of = {item.publication_id: item.id for item, _ in store.items(session, site.digest_id)}
    jp_ai, jp_battery = item_of[ids["jp_w48_ai"]], item_of[ids["jp_w48_battery"]]
    before = section_order(site, "JP")
    assert before == ["AI事業者ガイドライン", "蓄電池の安全基準"]
    new_order = [("item", str(jp_battery)), ("item", str(jp_ai))]

    # no session: to the login, nothing changes
    anonymous = Browser(site.base)
    token = csrf(anonymous, "/login")
    answer = anonymous.post(f"{path}/order", [("csrf_token", token), *new_order])
    assert answer.status == 303
    assert "/login" in answer.headers["Location"]
    # a session but no token, or a forged one: 403
    browser = logged_in(site.base)
    assert browser.post(f"{path}/order", new_order).status == 403
    assert browser.post(f"{path}/order", [("csrf_token", "forged"), *new_order]).status == 403
    assert section_order(site, "JP") == before

    # items of another digest (W47), or of two sections: 400, nothing changes
    other = build_digest(site.engine, week("2026-W47"), now=at(30, 10))
    assert other.digest_id is not None
    with transaction(site.engine) as session:
        foreign = [item.id for item, _ in store.items(session, other.digest_id)]
    token = csrf(browser, path)
    for order in (
        [("item", str(jp_battery)), ("item", str(foreign[0]))],
        [("item", str(foreign[0]))],
        [("item", str(jp_battery)), ("item", str(item_of[ids["kr_w48"]]))],
        [("item", str(jp_battery)), ("item", str(jp_battery))],
        [],
    ):
        answer = browser.post(f"{path}/order", [("csrf_token", token), *order])
        assert answer.status == 400, (order, answer.body)
    assert section_order(site, "JP") == before
    with transaction(site.engine) as session:  # the other digest is untouched too
        assert [item.id for item, _ in store.items(session, other.digest_id)] == foreign

    # the section's order, whole: stored, and the plain form comes back to the first item
    answer = browser.post(f"{path}/order", [("csrf_token", token), *new_order])
    assert answer.status == 303
    assert answer.headers["Location"] == f"{path}#item-{jp_battery}"
    assert section_order(site, "JP") == ["蓄電池の安全基準", "AI事業者ガイドライン"]
