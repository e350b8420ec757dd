"""Fetch the detail pages of newly stored publications within the crawl that found them.

The weekly digest drafts an item's key points from its summary, or, when the summary says
no more than the title, from its detail page's main text (docs/digest.md). That page is
fetched here, once, by the crawl that stored the publication, so everything that makes a
crawl polite and safe applies to it as to the source's own pages: the source's
``allowed_domains``, private-address and redirect checks (crawler/middlewares/safety.py),
robots.txt and its ``Crawl-delay`` (crawler/middlewares/robots_cache.py), download slots
and AutoThrottle, the source's headers.

How: the store pipeline notes each publication it committed as new and alerting whose
summary says no more than its title (``RunState.detail_wanted``; crawler/pipelines/store.py).
When the crawl has nothing left to do (Scrapy's ``spider_idle``), this extension writes the
items still waiting for their batch, takes up to :data:`PER_SOURCE_SETTING` of each run's
noted publications, schedules their requests and keeps the crawl open until they are done.
Each outcome is stored in ``publication_texts`` (storage/digests.py): the main text
(:func:`crawler.digest.key_points.extract_main_text`), or one line saying why there is
none (an HTTP error, a refusal, no main text). A detail page never touches its run's
outcome, counts or validators: a failure is the text's error, not the run's.

Publications left without an attempt (beyond the cap, or stored after the crawl ended:
move candidates settled as new) are fetched by ``digest build`` (crawler/digest/fetch.py).
Dry runs (``govwatch check``) store nothing, so they note nothing and fetch nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response, TextResponse
from sqlalchemy.exc import SQLAlchemyError
from twisted.python.failure import Failure

from crawler.digest.key_points import extract_main_text
from crawler.fetch_identity import DETAIL_MAX_BYTES
from crawler.pipelines.run_aware import RunAware
from crawler.pipelines.store import flush_pending
from crawler.runs import DetailWanted, RunState
from storage.db import transaction
from storage.digests import save_main_text
from storage.identity import is_pdf

logger = logging.getLogger(__name__)

PER_SOURCE_SETTING = "GOVWATCH_DETAIL_PAGES_PER_SOURCE"
MAX_CRAWL_DELAY_SETTING = "GOVWATCH_DETAIL_MAX_CRAWL_DELAY"
DETAIL_OF = "govwatch_detail_of"  # request meta: the publication id a detail request is for


def is_detail_request(request: Request) -> bool:
    """Whether ``request`` fetches a publication's detail page (not one of its source's URLs)."""
    return request.meta.get(DETAIL_OF) is not None


class DetailPages(RunAware):
    """The Scrapy extension that fetches detail pages (see the module docstring)."""

    def __init__(self, crawler: Crawler, per_source: int) -> None:
        super().__init__(crawler)
        self.per_source = per_source
        self.sent: Counter[str] = Counter()  # detail requests scheduled, per source
        crawler.signals.connect(self.on_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        per_source = crawler.settings.getint(PER_SOURCE_SETTING, 0)
        if per_source <= 0:
            raise NotConfigured(f"{PER_SOURCE_SETTING} is 0")
        return cls(crawler, per_source)

    def on_idle(self) -> None:
        """Commit what waits for its batch, schedule the detail pages it calls for, and keep
        the crawl open while any were scheduled."""
        if not self._enabled():
            return
        runs = list(self.batch.runs.values())
        flush_pending(runs)  # an item counts (and is noted) only once its batch is committed
        scheduled = 0
        for run in runs:
            for wanted in self._take(run):
                if is_pdf(wanted.url, None):  # no request: a PDF has no main text to extract
                    self._save(run, wanted.publication_id, None, f"{wanted.url} is a PDF")
                    continue
                self._schedule(run, wanted)
                scheduled += 1
        if scheduled:
            raise DontCloseSpider

    def _enabled(self) -> bool:
        """``digest.fetch_detail_pages: false`` in the crawl's app config turns it off."""
        config = self.batch.app_config
        return config is None or config.digest.fetch_detail_pages

    def _take(self, run: RunState) -> list[DetailWanted]:
        """Up to the cap of this run's noted publications (a PDF link counts, though it is
        recorded without a request); the rest are left to the digest build (one line in the
        log says how many)."""
        wanted, run.detail_wanted = run.detail_wanted, []
        if run.engine is None or run.dry_run:
            return []
        room = max(self.per_source - self.sent[run.source.id], 0)
        taken, left = wanted[:room], wanted[room:]
        self.sent[run.source.id] += len(taken)
        if left:
            logger.info(
                "%s: %d detail pages over the cap of %d per run left to the digest build",
                run.source.id,
                len(left),
                self.per_source,
                extra={"source_id": run.source.id, "run_id": run.run_id},
            )
        return taken

    def _schedule(self, run: RunState, wanted: DetailWanted) -> None:
        engine = self.crawler.engine
        if engine is None:  # cannot happen while the spider is idle, not closed
            return
        request = Request(
            wanted.url,
            headers=dict(run.source.headers),
            meta={
                "source_id": run.source.id,
                DETAIL_OF: wanted.publication_id,
                "download_maxsize": DETAIL_MAX_BYTES,
            },
            callback=self.on_page,
            errback=self.on_failure,
            cb_kwargs={"run": run},
            dont_filter=True,
        )
        engine.crawl(request)

    def on_page(self, response: Response, run: RunState) -> None:
        """Extract and store the page's main text; never raises (a raise would be taken for
        a layout change of the source and fail its run)."""
        publication_id = int(response.meta[DETAIL_OF])
        text: str | None = None
        error: str | None = None
        try:
            kind = _html_or_why_not(response)
            if kind is not None:
                error = f"{response.url} is not an HTML page ({kind})"
            else:
                text = extract_main_text(response.text, response.url)
                error = None if text else f"no main text found at {response.url}"
        except Exception as exc:
            text, error = None, f"{response.url} could not be read: {type(exc).__name__}: {exc}"
        self._save(run, publication_id, text, error)

    def on_failure(self, failure: Failure) -> None:
        """The page could not be fetched (HTTP error, refused, timeout …): that is the
        text's error, in the words the run would use for its own pages."""
        request: Request | None = getattr(failure, "request", None)
        if request is None:
            return
        run: RunState | None = request.cb_kwargs.get("run")
        spider = self.spider_for(request.meta.get("source_id"))
        if run is None or spider is None:
            return
        try:
            reason = spider.describe_failure(failure, request.url).reason
        except Exception as exc:  # describing must not fail the run either
            reason = f"{type(failure.value).__name__}: {exc}"
        self._save(run, int(request.meta[DETAIL_OF]), None, f"{request.url}: {reason}")

    def _save(
        self, run: RunState, publication_id: int, text: str | None, error: str | None
    ) -> None:
        """One small transaction per page; a database error leaves the page unrecorded (the
        digest build fetches it then), and the run goes on."""
        if run.engine is None:
            return
        try:
            with transaction(run.engine) as session:
                save_main_text(session, publication_id, text, error)
        except SQLAlchemyError as exc:
            logger.warning(
                "%s: the detail page of publication %d was not recorded: %s",
                run.source.id,
                publication_id,
                exc,
                extra={"source_id": run.source.id, "run_id": run.run_id},
            )


HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _html_or_why_not(response: Response) -> str | None:
    """None for an HTML page (or one that does not say what it is), else its media type. The
    header decides: Scrapy picks a text response for a PDF served at ``….html``."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type not in HTML_TYPES:
        return media_type
    if not isinstance(response, TextResponse):
        return media_type or "not text"
    return None
