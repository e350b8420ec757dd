"""The shapes most sources take: a feed, a list page, a JSON API.

A source declared in ``config/sources.yaml`` with ``kind: feed | list_page | json_api`` is
read by :class:`FeedSpider`, :class:`ListPageSpider` or :class:`JsonApiSpider` with no code
of its own. A source with quirks subclasses one of them and overrides hooks
(``entry_to_item``, ``row_to_item``, ``record_to_item``, ``start_requests_for``); it never
copies ``parse``.

Every spider is constructed with the source's config and the run's :class:`RunState`. It
yields :class:`PublicationItem` items and nothing else. When a response breaks an assumption it
raises (``LayoutChanged``, ``FeedParseError``); failures of the fetch itself reach
:meth:`SourceSpider.on_error` and are recorded on the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Self

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

from crawler.errors import DateParseError, FetchError, LayoutChanged, SourceError
from crawler.items import PublicationItem
from crawler.middlewares.refusal import UnsafeRequest
from crawler.runs import (
    BlockedError,
    HttpStatusError,
    RunState,
    StoreFailed,
    TimeoutFetchError,
)
from crawler.sources import SourceConfig

if TYPE_CHECKING:  # the crawl's configuration travels with it, read by the store pipeline
    from crawler.app_config import AppConfig

BLOCKING_STATUSES = frozenset({401, 403, 429})


class SourceSpider(Spider):
    """Base of all govwatch spiders: one source's requests, 304 handling, run recording.

    A SourceSpider describes one source; it is not handed to Scrapy on its own. The runner
    puts the spiders of every source due together into one :class:`BatchSpider` crawl (one
    Scrapy crawler per batch instead of one per source: crawler set-up costs milliseconds
    of CPU, which hundreds of sources per cycle would pay again and again). Each request
    carries its source id, so middlewares and pipelines find the right run.
    """

    name = "source"
    handle_httpstatus_list = [304]  # noqa: RUF012 - Scrapy's attribute name and shape
    kinds: ClassVar[dict[str, type[SourceSpider]]] = {}
    """Every spider class that sets its own ``name``, by that name (see :mod:`spiders.kinds`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Register a subclass that names itself; one name, one class."""
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            return  # a variant of its parent (tests do this), not a spider of its own
        known = SourceSpider.kinds.get(cls.name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"two spiders are named {cls.name!r}: {known} and {cls}")
        SourceSpider.kinds[cls.name] = cls

    def __init__(self, source: SourceConfig, run: RunState, **kwargs: Any) -> None:
        super().__init__(name=source.id, **kwargs)
        self.source = source
        self.run = run
        self.allowed_domains = list(source.allowed_domains)

    def on_callback_error(self, failure: Failure, response: Response) -> None:
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

    def start_requests_for(self, source: SourceConfig) -> Iterator[Request]:
        """First requests of a run: one per configured URL (hook for paged APIs)."""
        for url in source.urls:
            yield self.request(str(url), page=1)

    def request(self, url: str, *, page: int = 1, **kwargs: Any) -> Request:
        """A request of this source: its source id, headers, callbacks and page number."""
        meta = {
            "page": page,
            "source_id": self.source.id,
            "handle_httpstatus_list": list(self.handle_httpstatus_list),
            **kwargs.pop("meta", {}),
        }
        kwargs.setdefault("callback", self.parse)
        kwargs.setdefault("errback", self.on_error)
        kwargs.setdefault("dont_filter", True)
        headers = {**self.source.headers, **kwargs.pop("headers", {})}
        return Request(url, headers=headers, meta=meta, **kwargs)

    def parse(self, response: Response, **kwargs: Any) -> Any:
        if response.status == 304:
            return []
        if self.is_blocked(response):
            raise BlockedError(
                self.source.id, response.url, "the site answered with an anti-bot page"
            )
        return self.parse_page(response)

    def parse_page(self, response: Response) -> Iterator[PublicationItem | Request]:
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
        source_id, error = self.source.id, failure.value
        if isinstance(error, HttpError):
            status = error.response.status
            if status in BLOCKING_STATUSES:
                return BlockedError(source_id, url, f"HTTP {status}: the site refused the request")
            return HttpStatusError(source_id, url or "", status)
        if isinstance(error, DownloadTimeoutError | TwistedTimeoutError | TCPTimedOutError):
            return TimeoutFetchError(source_id, url, "no answer within the download timeout")
        if isinstance(error, CannotResolveHostError | DNSLookupError):
            return FetchError(
                source_id,
                url,
                "the host name could not be resolved: no network from this machine? "
                "(`govwatch demo` shows govwatch working offline)",
            )
        if isinstance(error, DownloadConnectionRefusedError):
            return FetchError(source_id, url, "the connection was refused")
        if isinstance(error, UnsafeRequest):
            return BlockedError(source_id, url, f"refused before connecting: {error.reason}")
        if isinstance(error, IgnoreRequest):
            return FetchError(source_id, url, f"request refused: {error}")
        if isinstance(error, SourceError):
            return error
        return FetchError(source_id, url, f"{type(error).__name__}: {error}")

    def item_or_reject(
        self, build: Callable[..., PublicationItem | None], *args: Any
    ) -> PublicationItem | None:
        """Build one item; an unreadable date rejects that item alone, recorded on the run.

        The date is what a bulletin cannot do without, and a site that writes one date
        badly has not changed its layout; so the rest of the page is still read.
        """
        try:
            return build(*args)
        except DateParseError as exc:
            self.run.reject(exc.url, str(exc))
            return None

    def item(self, **fields: Any) -> PublicationItem:
        """A PublicationItem of this source; the pipelines fill in the rest from the config."""
        return PublicationItem(source_id=self.source.id, **fields)


class BatchSpider(Spider):
    """The one Scrapy spider of a crawl: it runs the SourceSpiders of many sources at once.

    Their requests go out with their own callbacks (bound to the source's spider), so each
    response is read by the spider of its source; this class only starts them and routes
    callback errors back to the source they belong to.
    """

    name = "govwatch"
    allowed_domains = None  # per-source domains are enforced by SafetyMiddleware
    app_config: AppConfig | None = None  # the crawl's configuration (routing), if it has one

    def __init__(self, spiders: list[SourceSpider], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spiders = {spider.source.id: spider for spider in spiders}
        if len(self.spiders) != len(spiders):
            raise ValueError("a batch holds each source at most once")
        self.runs = {source_id: spider.run for source_id, spider in self.spiders.items()}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_callback_error, signal=signals.spider_error)
        crawler.signals.connect(spider.on_item_error, signal=signals.item_error)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for spider in self.spiders.values():
            for request in spider.start_requests_for(spider.source):
                yield request

    def spider_of(self, meta: dict[str, Any]) -> SourceSpider | None:
        source_id = meta.get("source_id")
        return self.spiders.get(source_id) if isinstance(source_id, str) else None

    def on_callback_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        source_spider = self.spider_of(response.meta)
        if source_spider is not None:
            source_spider.on_callback_error(failure, response)

    def on_item_error(
        self, item: Any, response: Response | None, spider: Spider, failure: Failure
    ) -> None:
        """A pipeline raised on an item: Scrapy would only log it (at a level that is off),
        so the item is counted invalid with the reason; a store failure also fails the run,
        which keeps the previous validators (the next run fetches the item again)."""
        source_id = getattr(item, "source_id", None)
        run = self.runs.get(source_id) if isinstance(source_id, str) else None
        if run is None:
            return
        error = failure.value
        url = getattr(item, "url", None)
        if isinstance(error, StoreFailed):
            run.note_invalid(url, error.reason)
            run.fail(error)
        else:
            run.note_invalid(url, f"could not be processed: {type(error).__name__}: {error}")

    def parse(self, response: Response, **kwargs: Any) -> Any:
        raise LayoutChanged("-", response.url, "a response arrived without a source")
