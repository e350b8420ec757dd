"""us_whitehouse: the WordPress section feeds, served from tests/fixtures/us_whitehouse/."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from crawler.items import Attachment, PublicationItem
from storage.db import transaction
from storage.models import CrawlRun
from storage.models import Publication as StoredPublication
from tests.crawling import crawl, outbox_count
from tests.servers.pages import PageServer
from tests.sourcepack import ServedSource, fixture_bytes, serve_source

SOURCE_ID = "us_whitehouse"
NEW_YORK = ZoneInfo("America/New_York")
NEW_POST = b"""<item>
		<title>Statement on the Signing of the Quantum Leadership Act</title>
		<link>https://www.whitehouse.gov/briefings-statements/2026/11/statement-on-the-signing-of-the-quantum-leadership-act/</link>
		<dc:creator><![CDATA[The White House]]></dc:creator>
		<pubDate>Thu, 26 Nov 2026 02:15:00 +0000</pubDate>
		<category><![CDATA[Briefings & Statements]]></category>
		<guid isPermaLink="false">https://www.whitehouse.gov/?p=53760</guid>
		<description><![CDATA[<p>Tonight the President signed the Quantum Leadership Act.</p>
<p>The post <a href="https://www.whitehouse.gov/briefings-statements/2026/11/statement-on-the-signing-of-the-quantum-leadership-act/">Statement on the Signing of the Quantum Leadership Act</a> appeared first on <a href="https://www.whitehouse.gov">The White House</a>.</p>
]]></description>
	</item>
	"""


def by_id(items: list[PublicationItem]) -> dict[str, PublicationItem]:
    return {item.native_id or "": item for item in items}


def with_new_post(served: ServedSource, file: str) -> None:
    body = fixture_bytes(SOURCE_ID, file)
    served.replace(file, body.replace(b"<item>", NEW_POST, 1))


def test_five_feeds_give_every_field(pages: PageServer) -> None:
    served = serve_source(pages, SOURCE_ID)
    summary = crawl(served.source, None)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 49)
    items = by_id(summary.items)
    # 10 + 10 + 9 + 10 posts, one fact sheet cross-posted; the news feed repeats 10 of them.
    assert len(items) == 38

    order = items["https://www.whitehouse.gov/?p=53638"]
    assert order.model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": "https://www.whitehouse.gov/presidential-actions/2026/11/"
        "strengthening-domestic-supply-chains-for-critical-minerals-used-in-semiconductors/",
        "title": "Strengthening Domestic Supply Chains for Critical Minerals Used in Semiconductors",
        "published": datetime(2026, 11, 19, 22, 58, 30, tzinfo=UTC),
        "native_id": "https://www.whitehouse.gov/?p=53638",
        "language": "en",
        "country": "US",
        "publisher": "The White House",
        "doc_type": "executive_order",
        "summary": "Acting under the authority granted to the President by the Constitution and "
        "the laws of the United States of America, I hereby order as follows: Section 1. "
        "Purpose. Gallium, germanium, high-purity quartz, and several rare earth elements are "
        "indispensable inputs to advanced semiconductors, power electronics, and defense "
        "systems. The United States depends on a small …",
        "attachments": [
            Attachment(
                url="https://www.whitehouse.gov/wp-content/uploads/2026/11/"
                "critical-minerals-semiconductors-eo.pdf",
                title="Signed Executive Order (PDF)",
                media_type="application/pdf",
            ).model_dump()
        ],
    }

    release = items["https://www.whitehouse.gov/?p=53580"]
    assert release.model_dump(exclude={"summary", "topics"}) == {
        "source_id": SOURCE_ID,
        "url": "https://www.whitehouse.gov/releases/2026/11/"
        "the-administrations-rd-budget-priorities-deliver-for-american-workers/",
        "title": "The Administration’s R&D Budget Priorities Deliver for American Workers",
        "published": datetime(2026, 11, 16, 18, 33, 57, tzinfo=UTC),
        "native_id": "https://www.whitehouse.gov/?p=53580",
        "language": "en",
        "country": "US",
        "publisher": "The White House",
        "doc_type": "release",
        "attachments": [],
    }
    assert release.summary is not None
    assert release.summary.startswith("The Administration’s research and development priorities")
    assert release.summary.endswith("faster publication of federally funded results …")


def test_document_types_come_from_the_categories(pages: PageServer) -> None:
    items = by_id(crawl(serve_source(pages, SOURCE_ID).source, None)[0].items)
    types = {
        post: items[f"https://www.whitehouse.gov/?p={post}"].doc_type
        for post in (53737, 53602, 53498, 53705, 53730, 53711)
    }
    assert types == {
        53737: "proclamation",
        53602: "nomination",
        53498: "memorandum",
        53705: "fact_sheet",  # also in "Briefings & Statements": the specific type wins
        53730: "statement",
        53711: "release",
    }


def test_times_are_washington_time_and_text_has_no_navigation(pages: PageServer) -> None:
    items = crawl(serve_source(pages, SOURCE_ID).source, None)[0].items
    for item in items:
        assert isinstance(item.published, datetime)
        assert item.published.tzinfo == NEW_YORK
        assert "appeared first on" not in (item.summary or "")
        assert all("/wp-content/uploads/" in a.url for a in item.attachments)
    statement = by_id(items)["https://www.whitehouse.gov/?p=53730"]
    assert statement.published == datetime(2026, 11, 25, 23, 10, 2, tzinfo=UTC)
    assert statement.published.isoformat() == "2026-11-25T18:10:02-05:00"
    short = by_id(items)["https://www.whitehouse.gov/?p=53602"]
    assert short.summary is not None
    assert short.summary.endswith("for a term expiring May 10, 2032.")


def test_backfill_reads_older_pages_until_wordpress_answers_404(pages: PageServer) -> None:
    served = serve_source(pages, SOURCE_ID)
    summary = crawl(served.source, None, backfill=True)[0]
    assert summary.outcome == "ok", summary.error
    assert pages.hits("/presidential-actions/feed/?paged=2")
    assert pages.hits("/presidential-actions/feed/?paged=3")  # 404: the end, not an error
    actions = {i.native_id for i in summary.items if "/presidential-actions/" in i.url}
    assert len(actions) == 17  # 10 + 8 with one post on both pages
    assert "https://www.whitehouse.gov/?p=52910" in actions
    assert summary.http_statuses == {"200": 6, "404": 5}


def test_nothing_new_then_one_new_post_is_found_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served = serve_source(pages, SOURCE_ID)
    baseline = crawl(served.source, sqlite_engine)[0]
    assert (baseline.outcome, baseline.items_new, baseline.is_baseline) == ("ok", 45, True)

    again = crawl(served.source, sqlite_engine)[0]
    assert (again.outcome, again.items_new) == ("not_modified", 0)
    for page in served.pages:
        page.route.validators = False  # no 304 this time: the same posts, read again
    reread = crawl(served.source, sqlite_engine)[0]
    assert (reread.outcome, reread.items_parsed, reread.items_new) == ("ok", 49, 0)
    assert outbox_count(sqlite_engine) == 0

    with_new_post(served, "briefings-statements-feed.xml")
    with_new_post(served, "news-feed.xml")  # the all-sections feed carries it too
    found = crawl(served.source, sqlite_engine)[0]
    assert (found.outcome, found.items_new) == ("ok", 1)
    assert outbox_count(sqlite_engine) == 1
    with transaction(sqlite_engine) as session:
        stored = session.scalars(
            select(StoredPublication).where(
                StoredPublication.doc_key == "https://www.whitehouse.gov/?p=53760"
            )
        ).one()
        assert (stored.doc_type, stored.published_on.isoformat()) == ("statement", "2026-11-25")
    assert crawl(served.source, sqlite_engine)[0].items_new == 0
    assert outbox_count(sqlite_engine) == 1


@pytest.mark.parametrize("file", ["releases-feed.xml", "presidential-actions-feed.xml"])
def test_feed_replaced_by_html_is_a_failed_run(
    pages: PageServer, sqlite_engine: Engine, file: str
) -> None:
    served = serve_source(pages, SOURCE_ID)
    served.replace(file, b"<!DOCTYPE html><html><body><h1>The White House</h1></body></html>")
    served.page(file).route.content_type = "text/html; charset=UTF-8"
    summary = crawl(served.source, sqlite_engine)[0]
    assert summary.outcome == "parse_error"
    with transaction(sqlite_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.outcome == "parse_error"
        assert run.error is not None
        assert f"us_whitehouse: {pages.url(served.page(file).path)}" in run.error
        assert "not a readable feed" in run.error or "has no entries" in run.error
