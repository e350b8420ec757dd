"""The shapes most sources take: a feed, a list page, a JSON API.

A source declared in ``config/sources.yaml`` with ``kind: feed | list_page | json_api`` is
read by :class:`FeedSpider`, :class:`ListPageSpider` or :class:`JsonApiSpider` with no code
of its own. A source with quirks subclasses one of them and overrides hooks
(``entry_to_item``, ``row_to_item``, ``record_to_item``, ``start_requests_for``); it never
copies ``parse``.

Every spider is constructed with the source's config and the run's :class:`RunState`. It
yields :class:`Publication` items and nothing else. When a response breaks an assumption it
raises (``LayoutChanged``, ``FeedParseError``); failures of the fetch itself reach
:meth:`SourceSpider.on_error` and are recorded on the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure

from crawler.errors import FetchError, LayoutChanged, SourceError
from crawler.items import Publication
from crawler.runs import BlockedError, HttpStatusError, RunState, TimeoutFetchError
from crawler.sources import SourceConfig

BLOCKING_STATUSES = frozenset({401, 403, 429})


class SourceSpider(Spider):
    """Base of all govwatch spiders: requests with errbacks, 304 handling, run recording."""

    name = "source"
    handle_httpstatus_list = [304]  # noqa: RUF012 - Scrapy reads this class attribute

    def __init__(self, source: SourceConfig, run: RunState, **kwargs: Any) -> None:
        super().__init__(name=source.id, **kwargs)
        self.source = source
        self.run = run
        self.allowed_domains = list(source.allowed_domains)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_callback_error, signal=signals.spider_error)
        return spider

    def on_callback_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        """A parse callback raised: the response did not have the expected shape."""
        if isinstance(failure.value, SourceError):
            self.run.fail(failure.value)
        else:
            self.run.fail(
                LayoutChanged(
                    self.source.id,
                    response.url,
                    f"the page could not be read ({type(failure.value).__name__}: {failure.value})",
                )
            )

    async def start(self) -> AsyncIterator[Request]:
        for request in self.start_requests_for(self.source):
            yield request

    def start_requests_for(self, source: SourceConfig) -> Iterator[Request]:
        """First requests of a run: one per configured URL (hook for paged APIs)."""
        for url in source.urls:
            yield self.request(str(url), page=1)

    def request(self, url: str, *, page: int = 1, **kwargs: Any) -> Request:
        """A request of this source: its headers, errback and page number."""
        meta = {"page": page, **kwargs.pop("meta", {})}
        return Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            headers=dict(self.source.headers),
            meta=meta,
            dont_filter=True,
            **kwargs,
        )

    def parse(self, response: Response, **kwargs: Any) -> Any:
        if response.status == 304:
            return []
        if self.is_blocked(response):
            raise BlockedError(
                self.source.id, response.url, "the site answered with an anti-bot page"
            )
        return self.parse_page(response)

    def parse_page(self, response: Response) -> Iterator[Publication | Request]:
        raise NotImplementedError

    def is_blocked(self, response: Response) -> bool:
        """Hook: recognise a site's anti-bot interstitial served with status 200."""
        return False

    def on_error(self, failure: Failure) -> None:
        """Record why a request failed, in words; the run goes on with its other URLs."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else None
        self.run.fail(self.describe_failure(failure, url))

    def describe_failure(self, failure: Failure, url: str | None) -> SourceError:
        source_id = self.source.id
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in BLOCKING_STATUSES:
                return BlockedError(source_id, url, f"HTTP {status}: the site refused the request")
            return HttpStatusError(source_id, url or "", status)
        if failure.check(DownloadTimeoutError, TwistedTimeoutError, TCPTimedOutError):
            return TimeoutFetchError(source_id, url, "no answer within the download timeout")
        if failure.check(CannotResolveHostError, DNSLookupError):
            return FetchError(source_id, url, "the host name could not be resolved (no network?)")
        if failure.check(DownloadConnectionRefusedError):
            return FetchError(source_id, url, "the connection was refused")
        if failure.check(IgnoreRequest):
            return FetchError(source_id, url, f"request refused: {failure.value}")
        if isinstance(failure.value, SourceError):
            return failure.value
        return FetchError(source_id, url, f"{type(failure.value).__name__}: {failure.value}")

    def item(self, **fields: Any) -> Publication:
        """A Publication of this source; the pipelines fill in the rest from the config."""
        return Publication(source_id=self.source.id, **fields)
