"""The base of every middleware and pipeline: find the run a request or an item belongs to.

It lives with the engine (not in :mod:`crawler.runs`) because it reads the crawl's
:class:`~spiders.base.BatchSpider`, and the spiders read :mod:`crawler.runs`: keeping it here
is what keeps ``runs`` and ``spiders.base`` out of a circle (tests/test_architecture.py).
"""

from __future__ import annotations

from typing import Self, cast

from scrapy.crawler import Crawler

from crawler.runs import RunState
from spiders.base import BatchSpider, SourceSpider


class RunAware:
    """Base of the middlewares and pipelines: they find the run of a request or an item.

    A crawl runs many sources (see :class:`spiders.base.BatchSpider`); requests carry their
    source id in ``meta`` and items in ``source_id``. Requests without one (robots.txt) are
    Scrapy's own and belong to no run.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def batch(self) -> BatchSpider:
        return cast("BatchSpider", self.crawler.spider)

    def spider_for(self, source_id: object) -> SourceSpider | None:
        return self.batch.spiders.get(source_id) if isinstance(source_id, str) else None

    def run_for(self, source_id: object) -> RunState | None:
        spider = self.spider_for(source_id)
        return spider.run if spider is not None else None
