"""An item is written within ``STORE_FLUSH_SECONDS`` of being parsed, whatever else its crawl
is still doing: a new item's alert never waits for the slowest page of a batch."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from crawler.pipelines.store import STORE_FLUSH_SECONDS
from tests.crawling import crawl, make_source
from tests.scheduler.daemon import wait_until
from tests.servers.pages import PageServer, Route
from tests.trust.feeds import LiveFeed, numbered, rss
from tests.trust.test_accounting import stored_titles

SLOW_PAGE_SECONDS = 3.0  # under the tests' 5 s download timeout, many times the flush delay: the slow feed is surely still pending


def test_an_item_is_stored_while_its_crawl_still_waits_for_a_slow_page(
    pages: PageServer, engine: Engine
) -> None:
    assert SLOW_PAGE_SECONDS > 10 * STORE_FLUSH_SECONDS
    fast = LiveFeed(pages, [numbered(1)], path="/fast.xml")
    slow_url = pages.route(
        "/slow.xml",
        Route(rss([numbered(2)]), content_type="application/rss+xml", delay=SLOW_PAGE_SECONDS),
    )
    # two hosts (localhost and 127.0.0.1: one server), so neither waits in the other's slot
    sources = [
        make_source(id="xx_fast", urls=[fast.url.replace("127.0.0.1", "localhost")]),
        make_source(id="xx_slow", urls=[slow_url]),
    ]
    done = threading.Event()
    crawler = threading.Thread(target=lambda: (crawl(sources, engine), done.set()))
    crawler.start()
    try:
        wait_until(lambda: pages.hits("/slow.xml"), "the slow feed to be asked for")
        wait_until(lambda: stored_titles(engine), "the fast feed's item to be stored")
        # stored while the same crawl was still waiting for the slow feed's answer
        assert not done.is_set()
        assert stored_titles(engine) == ["Notice number 1 on research policy"]
    finally:
        crawler.join(timeout=60)
    assert done.is_set()
    assert stored_titles(engine) == [
        "Notice number 1 on research policy",
        "Notice number 2 on research policy",
    ]
