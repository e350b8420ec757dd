"""us_nsf_news_list: NSF's Drupal news list (fallback for the RSS), from its fixtures."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import CrawlRun
from tests.crawling import crawl, outbox_count
from tests.servers.pages import PageServer
from tests.sourcepack import ServedSource, fixture_bytes, serve_source

SOURCE_ID = "us_nsf_news_list"
NEW_YORK = ZoneInfo("America/New_York")
NEW_ROW = """<div class="views-row">
        <article data-history-node-id="31890" class="node node--type-news node--view-mode-teaser">
          <div class="latest-news-teaser">
            <div class="latest-news-teaser__meta">
              <span class="latest-news-teaser__type">Statement</span>
              <span class="latest-news-teaser__date"><time datetime="2026-11-24T03:00:00Z" class="datetime">November 23, 2026</time></span>
            </div>
            <div class="latest-news-teaser__headline">
              <h3><a href="/news/nsf-statement-quantum-testbed" hreflang="en"><span class="field field--name-title">NSF statement on the national quantum testbed</span></a></h3>
            </div>
            <div class="field-news-body"><p>NSF issued the following statement.</p></div>
          </div>
        </article>
      </div>
      """


def served(pages: PageServer) -> ServedSource:
    # The pager goes on to page 61; two pages were saved.
    return serve_source(pages, SOURCE_ID, max_pages=2)


def only_run(engine: Engine) -> CrawlRun:
    with transaction(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        session.expunge(run)
        return run


def test_first_page_gives_every_field(pages: PageServer) -> None:
    summary = crawl(served(pages).source, None)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 10)
    first, second = summary.items[:2]
    assert first.model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": pages.url("/news/nsf-launches-national-ai-research-resource-operations-center"),
        "title": "NSF launches National AI Research Resource Operations Center",
        "published": datetime(2026, 11, 20, 21, 30, tzinfo=NEW_YORK),
        "native_id": None,
        "language": "en",
        "country": "US",
        "publisher": "U.S. National Science Foundation",
        "doc_type": "news",
        "summary": "The U.S. National Science Foundation today launched the National Artificial "
        "Intelligence Research Resource Operations Center, which will coordinate access to "
        "computing, data and software for researchers and educators across the country.",
        "attachments": [],
    }
    # time@datetime is 02:30 UTC on the 21st; the site (and the item) say the 20th, Eastern.
    assert first.published == datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
    assert second.model_dump(include={"url", "title", "published", "doc_type"}) == {
        "url": pages.url("/news/nsf-statement-fy2027-budget-request"),
        "title": "NSF statement on the fiscal year 2027 budget request",
        "published": datetime(2026, 11, 18, 16, 0, tzinfo=NEW_YORK),
        "doc_type": "statement",
    }
    assert [item.doc_type for item in summary.items].count("news") == 7
    assert {"media_advisory", "research_news"} <= {item.doc_type for item in summary.items}


def test_backfill_reads_page_one(pages: PageServer) -> None:
    summary = crawl(served(pages).source, None, backfill=True)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 20)
    assert pages.hits("/news/releases?page=1")
    by_title = {item.title: item for item in summary.items}
    rubin = by_title["NSF statement on the first year of Rubin Observatory science operations"]
    assert (rubin.doc_type, rubin.url) == (
        "statement",
        pages.url("/news/nsf-statement-vera-rubin-observatory-first-year"),
    )
    keel = summary.items[-1]
    assert (keel.title, keel.published) == (
        "Keel laid for new NSF Arctic research vessel",
        datetime(2026, 9, 1, 10, 0, tzinfo=NEW_YORK),
    )
    late = by_title["NSF invests in K-12 artificial intelligence literacy"]
    assert late.published.isoformat() == "2026-09-02T21:45:00-04:00"  # type: ignore[union-attr]


def test_nothing_new_then_one_new_row_is_found_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    source = served(pages)
    assert crawl(source.source, sqlite_engine)[0].items_new == 20
    assert crawl(source.source, sqlite_engine)[0].outcome == "not_modified"
    source.page("page0.html").route.validators = False
    reread = crawl(source.source, sqlite_engine)[0]
    assert (reread.outcome, reread.items_new) == ("ok", 0)

    page = fixture_bytes(SOURCE_ID, "page0.html").decode()
    marker = '<div class="view-content">'
    source.replace("page0.html", page.replace(marker, marker + NEW_ROW, 1).encode())
    found = crawl(source.source, sqlite_engine)[0]
    assert (found.outcome, found.items_parsed, found.items_new) == ("ok", 11, 1)
    assert outbox_count(sqlite_engine) == 1
    assert crawl(source.source, sqlite_engine)[0].items_new == 0
    assert outbox_count(sqlite_engine) == 1


def test_js_interstitial_served_with_200_is_blocked(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    source = served(pages)
    source.replace("page0.html", fixture_bytes(SOURCE_ID, "interstitial.html"))
    summary = crawl(source.source, sqlite_engine)[0]
    assert summary.outcome == "blocked"
    run = only_run(sqlite_engine)
    assert (run.outcome, run.items_parsed, run.http_statuses) == ("blocked", 0, {"200": 1})
    assert run.error == (
        f"us_nsf_news_list: {pages.url('/news/releases')}: the site answered with an anti-bot page"
    )


def test_redesigned_list_is_a_failed_run_not_blocked(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    source = served(pages)
    page = fixture_bytes(SOURCE_ID, "page0.html").decode()
    source.replace("page0.html", page.replace('class="view-content"', 'class="cards"').encode())
    assert crawl(source.source, sqlite_engine)[0].outcome == "empty"
    run = only_run(sqlite_engine)
    assert run.outcome == "empty"
    assert run.error is not None
    assert "no rows matched 'div.view-content article'" in run.error
