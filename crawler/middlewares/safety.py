"""Refuse requests a source has no business making.

Redirects and links are kept inside ``allowed_domains`` by Scrapy's offsite middleware;
this one refuses loopback, private and link-local targets (a page must not be able to make
govwatch probe the local network) unless the source explicitly allows it, which only
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
        host = urlsplit(request.url).hostname or ""
        if is_private_host(host) and not self.spider.source.allow_private_network:
            raise UnsafeRequest(
                f"refused {request.url}: {host} is a private or loopback address "
                "(set allow_private_network: true on the source only if this is intended)"
            )
