"""Refuse requests a source has no business making.

Every request of a source (redirects included: they keep the source id) must stay inside
that source's ``allowed_domains`` — checked here per source, because one crawl runs many
sources. Loopback, private and link-local targets are refused (a page must not be able to
make govwatch probe the local network) unless the source explicitly allows them, which only
tests, the offline demo and ``check --url http://127.0.0.1…`` do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawler.runs import RunAware
from crawler.sources import is_private_host


class UnsafeRequest(IgnoreRequest):
    """A request to a private or loopback address from a source not allowed to make one."""


class SafetyMiddleware(RunAware):
    def process_request(self, request: Request) -> None:
        spider = self.spider_for(request.meta.get("source_id"))
        if spider is None:
            return  # robots.txt: same host as a request of a source, already checked
        host = (urlsplit(request.url).hostname or "").lower()
        if not is_allowed_host(host, spider.source.allowed_domains):
            raise UnsafeRequest(
                f"refused {request.url}: {host} is outside the source's allowed_domains "
                f"({', '.join(spider.source.allowed_domains)})"
            )
        if is_private_host(host) and not spider.source.allow_private_network:
            raise UnsafeRequest(
                f"refused {request.url}: {host} is a private or loopback address "
                "(set allow_private_network: true on the source only if this is intended)"
            )


def is_allowed_host(host: str, allowed_domains: list[str]) -> bool:
    """``www.nsf.gov`` is allowed by ``nsf.gov`` and ``www.nsf.gov``, not by ``gov``-lookalikes."""
    return any(host == domain or host.endswith("." + domain) for domain in allowed_domains)
