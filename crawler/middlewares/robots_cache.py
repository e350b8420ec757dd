"""robots.txt obeyed from a cache in the database, instead of fetched by every process.

Replaces Scrapy's RobotsTxtMiddleware at the same place (priority 100, after
:class:`crawler.middlewares.safety.SafetyMiddleware` at 50, so a request is judged safe
before its host's robots.txt is looked up, and the robots.txt request itself passes the
safety check like any other). Per origin (``scheme://host[:port]``) and per crawl, the
rules come from, in order: this crawl's memory, the ``robots_txt`` table while the kept
answer has not expired (:mod:`storage.robots_cache`), or one fetch whose answer is kept
for as long as :func:`crawler.robots_rules.time_to_keep` allows.

A robots.txt request that could not be made at all (refused for safety, DNS, a refused
connection, a timeout) decides nothing and is not kept: the page request that follows
meets the same fault and reports it in its own words, as before this cache existed.
Dry runs (``govwatch check``) read the cache but never write it.

A host's ``Crawl-delay`` becomes the minimum delay of its download slot, and AutoThrottle
is told not to lower it. A publication's detail page (crawler/detail_pages.py) is not
fetched from a host whose ``Crawl-delay`` is longer than ``GOVWATCH_DETAIL_MAX_CRAWL_DELAY``:
the page is refused (its text records why) rather than holding the crawl open.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http.request import NO_CALLBACK
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.detail_pages import MAX_CRAWL_DELAY_SETTING, is_detail_request
from crawler.fetch_identity import DETAIL_MAX_CRAWL_DELAY
from crawler.pipelines.run_aware import RunAware
from crawler.robots_rules import RobotsRules, time_to_keep
from storage.models import utcnow
from storage.robots_cache import CachedRobots, load_robots, load_robots_of, save_robots

logger = logging.getLogger(__name__)
ROBOTS_REQUEST_PRIORITY = 1000  # ahead of the pages waiting for it


class RobotsRefusal(IgnoreRequest):
    """A request robots.txt does not allow (or a host whose robots.txt is unreachable)."""


class CachedRobotsTxtMiddleware(RunAware):
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        super().__init__(crawler)
        self.user_agent: str = str(
            crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings["USER_AGENT"]
        )
        self._rules: dict[str, asyncio.Future[RobotsRules | None]] = {}
        self._preloaded: dict[str, CachedRobots] | None = None
        self._asked: set[str] = set()  # origins the preload asked the database about
        self.detail_max_delay = crawler.settings.getfloat(
            MAX_CRAWL_DELAY_SETTING, DETAIL_MAX_CRAWL_DELAY
        )

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return
        rules = await self.rules_for(_origin(request.url))
        if rules is None:
            return
        refusal = rules.refusal(request.url, self.user_agent)
        if refusal is not None:
            raise RobotsRefusal(refusal)
        if is_detail_request(request):
            delay = rules.crawl_delay(self.user_agent)
            if delay is not None and delay > self.detail_max_delay:
                raise RobotsRefusal(
                    f"robots.txt asks for {delay:g} s between requests, more than the "
                    f"{self.detail_max_delay:g} s a detail page may wait"
                )
        self._apply_crawl_delay(request, rules)

    async def rules_for(self, origin: str) -> RobotsRules | None:
        """The rules of ``origin``; fetched at most once per crawl, and not at all while a
        kept answer is fresh."""
        pending = self._rules.get(origin)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._rules[origin] = pending
            try:
                pending.set_result(await self._look_up(origin))
            except BaseException as exc:  # never leave other requests of the host waiting
                pending.set_result(None)
                if not isinstance(exc, Exception):
                    raise
                logger.warning("robots.txt of %s could not be read: %s", origin, exc)
        return await asyncio.shield(pending)

    async def _look_up(self, origin: str) -> RobotsRules | None:
        engine = self._engine()
        if engine is not None:
            try:
                preloaded = self._preload(engine)
                cached = (
                    preloaded.get(origin) if origin in self._asked else load_robots(engine, origin)
                )
            except SQLAlchemyError as exc:
                logger.warning("robots.txt cache unreadable, fetching %s: %s", origin, exc)
                cached = None
            if cached is not None:
                return RobotsRules(origin, cached.status, cached.body)
        return await self._fetch(origin, engine)

    async def _fetch(self, origin: str, engine: Engine | None) -> RobotsRules | None:
        request = Request(
            f"{origin}/robots.txt",
            priority=ROBOTS_REQUEST_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        if self.crawler.engine is None:  # the crawl is not running (cannot happen mid-crawl)
            return None
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # the page request will meet the same fault
            logger.debug("robots.txt of %s not fetched: %s", origin, exc)
            return None
        status = response.status
        body = response.body.decode("utf-8", "replace") if 200 <= status < 300 else ""
        keep = time_to_keep(status, _header(response.headers.get(b"Cache-Control")))
        if engine is not None and keep > timedelta(0) and not self._dry_run():
            now = utcnow()
            try:
                save_robots(engine, CachedRobots(origin, status, body, now, now + keep))
            except SQLAlchemyError as exc:
                logger.warning("robots.txt of %s not kept in the database: %s", origin, exc)
        return RobotsRules(origin, status, body)

    def _preload(self, engine: Engine) -> dict[str, CachedRobots]:
        """The kept answers of every origin the crawl's sources start at, in one query (a
        fresh process otherwise asks the database once per host)."""
        if self._preloaded is None:
            spiders = getattr(self.crawler.spider, "spiders", None) or {}
            origins = {_origin(str(url)) for s in spiders.values() for url in s.source.urls}
            self._asked = origins
            self._preloaded = load_robots_of(engine, origins)
        return self._preloaded

    def _apply_crawl_delay(self, request: Request, rules: RobotsRules) -> None:
        delay = rules.crawl_delay(self.user_agent)
        if delay is None or self.crawler.engine is None:
            return
        downloader: Any = self.crawler.engine.downloader
        _key, slot = downloader._get_slot(request)  # creates the host's slot if needed
        slot.delay = max(slot.delay, delay)
        request.meta["autothrottle_dont_adjust_delay"] = True

    def _engine(self) -> Engine | None:
        spiders = getattr(self.crawler.spider, "spiders", None) or {}
        for spider in spiders.values():
            engine: Engine | None = spider.run.engine
            return engine
        return None

    def _dry_run(self) -> bool:
        spiders = getattr(self.crawler.spider, "spiders", None) or {}
        return any(spider.run.dry_run for spider in spiders.values())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _header(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value else None
