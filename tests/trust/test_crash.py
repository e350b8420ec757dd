"""An exception anywhere in a crawl is accounted for: an item a pipeline stage raised on is
counted invalid with the reason; a crawl that cannot run is a recorded run with outcome
``error`` (health counts it), never an open or missing run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import Response
from sqlalchemy import Engine, select

from crawler.items import Attachment, PublicationItem
from spiders.base import SourceSpider
from spiders.feed import FeedSpider
from storage.db import transaction
from storage.models import CrawlRun, Source
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer
from tests.trust.feeds import Entry, LiveFeed, days_ago, numbered


class EnclosureFeedSpider(FeedSpider):
    """A feed whose entries list their files as ``<enclosure>`` (as podcasts and some
    ministries do): each becomes an attachment, whatever its address."""

    def parse_page(self, response: Response) -> Iterator[PublicationItem | Request]:
        for found in super().parse_page(response):
            if isinstance(found, PublicationItem) and found.title.startswith("With a mail file"):
                found.attachments = [Attachment(url="mailto:press@agency.example?subject=pdf")]
            yield found


def test_an_item_a_pipeline_stage_raised_on_is_counted_invalid_with_the_reason(
    pages: PageServer, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(SourceSpider.kinds, "feed", EnclosureFeedSpider)
    feed = LiveFeed(
        pages,
        [numbered(1), Entry("With a mail file", link="https://agency.example/m", date=days_ago(1))],
    )
    summary = crawl(make_source(urls=[feed.url]), sqlite_engine)[0]
    assert (summary.outcome, summary.items_parsed, summary.items_new) == ("partial", 2, 1)
    assert summary.items_invalid == 1
    assert summary.error is not None
    assert "https://agency.example/m: could not be processed" in summary.error
    assert "not an absolute http(s) URL" in summary.error


class SpiderWithABug(FeedSpider):
    """A spider that reads a setting its source does not have: a plain bug, not a
    SourceError, raised while the crawl is being set up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section = {"feed": "news"}[self.source.doc_type or "none"]


def test_a_crawl_that_cannot_run_is_a_recorded_run_with_outcome_error(
    pages: PageServer, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(SourceSpider.kinds, "feed", SpiderWithABug)
    feed = LiveFeed(pages, [numbered(1)])
    summary = crawl(make_source(urls=[feed.url]), sqlite_engine)[0]
    assert summary.outcome == "error"
    assert summary.failed
    assert summary.error is not None
    assert "KeyError" in summary.error
    with transaction(sqlite_engine) as session:
        runs: list[Any] = list(session.scalars(select(CrawlRun)))
        assert [(run.outcome, run.finished_at is not None) for run in runs] == [("error", True)]
        assert session.get_one(Source, "xx_test_source").consecutive_failures == 1
