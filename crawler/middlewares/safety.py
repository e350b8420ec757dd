"""Refuse requests a source has no business making, before any connection is made.

Two downloader middlewares, one gate each side of the downloader:

:class:`SafetyMiddleware` runs first of all (priority 50, before Scrapy's robots.txt
middleware at 100), on every request: a source's start URLs, redirect targets (they keep
the source id), next pages and detail pages, and requests of no source such as robots.txt.
It refuses schemes other than http(s), hosts outside the source's ``allowed_domains``, and
IP literals in a forbidden range (:mod:`crawler.address_ranges`). Host names are judged
when they are resolved for the connection itself (:mod:`crawler.safe_resolver`), so the
address checked is the address connected to.

:class:`RefusedAddressMiddleware` sits next to the downloader (priority 950): when the
resolver refused a host, the download fails like a failed DNS lookup; this turns that
failure into :class:`UnsafeRequest` with the resolver's reason (host and address), before
the retry middleware would ask again.

``allow_private_network: true`` on a source lets the hosts of its configured ``urls``
resolve to private addresses while its crawl runs; a redirect or link to another private
host is refused as for every source, and a source without the allowance is refused on a
granted host too (the resolver cannot tell sources apart).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError
from twisted.internet.error import DNSLookupError

from crawler.address_ranges import forbidden_reason, parse_address
from crawler.fetch_identity import is_allowed_host
from crawler.middlewares.refusal import UnsafeRequest
from crawler.pipelines.run_aware import RunAware
from crawler.safe_resolver import GRANTS, SafeResolver, install_safe_resolver

ALLOWANCE_HINT = "set allow_private_network: true on the source only if this is intended"


class SafetyMiddleware(RunAware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        install_safe_resolver()
        self._granted: list[str] | None = None
        crawler.signals.connect(self._release_grants, signal=signals.spider_closed)

    def process_request(self, request: Request) -> None:
        self._grant_once()
        refusal = self.refusal_for(request)
        if refusal is not None:
            raise UnsafeRequest(request.url, refusal)

    def refusal_for(self, request: Request) -> str | None:
        """Why ``request`` must not be made (in words), or None."""
        parts = urlsplit(request.url)
        if parts.scheme not in {"http", "https"}:
            return f"only http and https URLs are fetched, not {parts.scheme or 'none'}"
        host = (parts.hostname or "").lower()
        spider = self.spider_for(request.meta.get("source_id"))
        if spider is not None and not is_allowed_host(host, spider.source.allowed_domains):
            return (
                f"{host} is outside the source's allowed_domains "
                f"({', '.join(spider.source.allowed_domains)})"
            )
        if GRANTS.allows(host):
            if spider is None or spider.source.allow_private_network:
                return None
            return (
                f"{host} may resolve to a private address only for a source that allows "
                f"private networks, and this one does not ({ALLOWANCE_HINT})"
            )
        address = parse_address(host)
        reason = forbidden_reason(address) if address is not None else None
        if reason is not None:
            return f"{host} is {reason} ({ALLOWANCE_HINT})"
        return None  # a host name: judged by the resolver when the connection is made

    def _grant_once(self) -> None:
        if self._granted is not None:
            return
        self._granted = [
            host
            for spider in self.batch.spiders.values()
            if spider.source.allow_private_network
            for host in sorted({(urlsplit(str(url)).hostname or "") for url in spider.source.urls})
        ]
        GRANTS.grant(self._granted)

    def _release_grants(self) -> None:
        if self._granted:
            GRANTS.release(self._granted)
        self._granted = []


class RefusedAddressMiddleware:
    """Say why a connection was not made when the resolver refused the host's address."""

    def __init__(self) -> None:
        self.resolver: SafeResolver = install_safe_resolver()

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, CannotResolveHostError | DNSLookupError):
            return
        refusal = self.resolver.refusal(urlsplit(request.url).hostname or "")
        if refusal is not None:
            raise UnsafeRequest(request.url, f"{refusal} ({ALLOWANCE_HINT})")
