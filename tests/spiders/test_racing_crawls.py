"""Two crawls of the same source at once must alert a new publication exactly once."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from crawler.runner import CrawlOptions, crawl_sources
from crawler.service.reactor import run_on_reactor
from storage.db import transaction
from storage.models import AlertOutbox, CrawlRun
from tests.crawling import TEST_SETTINGS, crawl, make_source
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample


def test_two_racing_crawls_alert_once(pages: PageServer, engine: Engine) -> None:
    items = [sample(1), sample(2)]
    url = pages.route(
        "/feed.xml", Route(lambda: rss(items), content_type="application/rss+xml", validators=False)
    )
    source = make_source(urls=[url])
    crawl(source, engine)  # the silent baseline
    items.insert(0, sample(3))
    summaries = run_on_reactor(
        crawl_sources(
            [source, source], engine=engine, options=CrawlOptions(settings=TEST_SETTINGS)
        ),
        timeout=60,
    )
    assert [summary.outcome for summary in summaries] == ["ok", "ok"]
    assert sorted(summary.items_new for summary in summaries) == [0, 1]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(AlertOutbox)) == 1
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 3
