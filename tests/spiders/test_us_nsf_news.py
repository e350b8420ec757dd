"""us_nsf_news: NSF's news RSS, read by the generic FeedSpider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import CrawlRun
from tests.crawling import crawl, outbox_count
from tests.servers.pages import PageServer
from tests.sourcepack import fixture_bytes, serve_source

SOURCE_ID = "us_nsf_news"
FEED = "rss_www_news.xml"
EST = timezone(timedelta(hours=-5))
EDT = timezone(timedelta(hours=-4))
NEW_ITEM = b"""<item>
    <title>NSF opens national quantum testbed to industry</title>
    <link>https://www.nsf.gov/news/nsf-national-quantum-testbed-industry</link>
    <description>Companies can now run experiments on the national quantum testbed.</description>
    <pubDate>Mon, 23 Nov 2026 10:00:00 -0500</pubDate>
    <guid isPermaLink="false">31890 at https://www.nsf.gov</guid>
  </item>
  """


def test_feed_items_have_every_field(pages: PageServer) -> None:
    summary = crawl(serve_source(pages, SOURCE_ID).source, None)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 10)
    first, last = summary.items[0], summary.items[-1]
    assert first.model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": "https://www.nsf.gov/news/nsf-launches-national-ai-research-resource-operations-center",
        "title": "NSF launches National AI Research Resource Operations Center",
        "published": datetime(2026, 11, 20, 21, 30, tzinfo=EST),
        "native_id": "31877 at https://www.nsf.gov",
        "language": "en",
        "country": "US",
        "publisher": "U.S. National Science Foundation",
        "doc_type": "news",
        "summary": "The U.S. National Science Foundation today launched the National Artificial "
        "Intelligence Research Resource Operations Center, which will coordinate access to "
        "computing, data …",
        "attachments": [],
    }
    assert first.published == datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
    assert last.model_dump(exclude={"source_id", "summary", "topics"}) == {
        "url": "https://www.nsf.gov/news/nsf-leo-satellite-radio-astronomy-coexistence",
        "title": "NSF funds research on satellite and radio astronomy coexistence",
        "published": datetime(2026, 9, 8, 10, 0, tzinfo=EDT),
        "native_id": "31655 at https://www.nsf.gov",
        "language": "en",
        "country": "US",
        "publisher": "U.S. National Science Foundation",
        "doc_type": "news",
        "attachments": [],
    }
    # Eastern time as the feed writes it: -05:00 in November, -04:00 before 1 November.
    offsets = {item.published.utcoffset() for item in summary.items}  # type: ignore[union-attr]
    assert offsets == {timedelta(hours=-5), timedelta(hours=-4)}


def test_nothing_new_then_one_new_item_is_found_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served = serve_source(pages, SOURCE_ID)
    assert crawl(served.source, sqlite_engine)[0].items_new == 10
    assert crawl(served.source, sqlite_engine)[0].outcome == "not_modified"
    served.page(FEED).route.validators = False
    assert crawl(served.source, sqlite_engine)[0].items_new == 0

    body = fixture_bytes(SOURCE_ID, FEED)
    served.replace(FEED, body.replace(b"<item>", NEW_ITEM + b"<item>", 1))
    found = crawl(served.source, sqlite_engine)[0]
    assert (found.outcome, found.items_parsed, found.items_new) == ("ok", 11, 1)
    assert outbox_count(sqlite_engine) == 1
    assert crawl(served.source, sqlite_engine)[0].items_new == 0
    assert outbox_count(sqlite_engine) == 1


def test_feed_replaced_by_the_html_list_is_a_parse_error(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served = serve_source(pages, SOURCE_ID)
    served.replace(FEED, fixture_bytes("us_nsf_news_list", "interstitial.html"))
    served.page(FEED).route.content_type = "text/html; charset=UTF-8"
    assert crawl(served.source, sqlite_engine)[0].outcome == "parse_error"
    with transaction(sqlite_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.outcome, run.items_parsed) == ("parse_error", 0)
        assert run.error is not None
        assert run.error.startswith(f"us_nsf_news: {pages.url('/rss/rss_www_news.xml')}: ")
