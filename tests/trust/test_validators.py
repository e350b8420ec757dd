"""Validators belong to a (source, URL): two sources reading one feed never hide each
other's new items behind a 304."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer
from tests.trust.feeds import Entry, LiveFeed, days_ago, numbered


def test_two_sources_reading_one_feed_keep_their_own_validators(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    feed = LiveFeed(pages, [numbered(n) for n in range(1, 4)])
    source_a = make_source(id="xx_reader_a", urls=[feed.url])
    source_b = make_source(id="xx_reader_b", urls=[feed.url])
    crawl(source_a, sqlite_engine)
    crawl(source_b, sqlite_engine)
    unchanged = crawl(source_a, sqlite_engine)[0]
    assert unchanged.outcome == "not_modified"  # A's own validators are kept and sent

    feed.entries.insert(
        0, Entry("Only B has read this", link="https://agency.example/x", date=days_ago(0))
    )
    by_b = crawl(source_b, sqlite_engine)[0]
    assert (by_b.outcome, by_b.items_new) == ("ok", 1)
    by_a = crawl(source_a, sqlite_engine)[0]
    assert (by_a.outcome, by_a.items_new) == ("ok", 1)
