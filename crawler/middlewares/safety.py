"""Refuse requests a source has no business making.

Every request of a source (redirects included: they keep the source id) must stay inside
that source's ``allowed_domains`` — checked here per source, because one crawl runs many
sources. Loopback, private and link-local targets are refused (a page must not be able to
make govwatch probe the local network) unless the source explicitly allows them, which only
tests, the offline demo and ``check --url http://127.0.0.1…`` do. A host name is resolved
first and refused if it points at such an address (a public-looking name for an internal
machine); the check is made once per host and crawl, at request time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.runs import RunAware
from crawler.sources import is_private_host


class UnsafeRequest(IgnoreRequest):
    """A request to a private or loopback address from a source not allowed to make one."""


class SafetyMiddleware(RunAware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._addresses: dict[str, list[str]] = {}

    async def process_request(self, request: Request) -> None:
        spider = self.spider_for(request.meta.get("source_id"))
        if spider is None:
            return  # robots.txt: same host as a request of a source, already checked
        host = (urlsplit(request.url).hostname or "").lower()
        if not is_allowed_host(host, spider.source.allowed_domains):
            raise UnsafeRequest(
                f"refused {request.url}: {host} is outside the source's allowed_domains "
                f"({', '.join(spider.source.allowed_domains)})"
            )
        if spider.source.allow_private_network:
            return
        if is_private_host(host):
            raise UnsafeRequest(
                f"refused {request.url}: {host} is a private or loopback address "
                "(set allow_private_network: true on the source only if this is intended)"
            )
        private = [address for address in await self.addresses_of(host) if is_private_host(address)]
        if private:
            raise UnsafeRequest(
                f"refused {request.url}: {host} resolves to {private[0]}, a private or "
                "loopback address (set allow_private_network: true on the source only if "
                "this is intended)"
            )

    async def addresses_of(self, host: str) -> list[str]:
        """The addresses ``host`` resolves to (none for an IP literal), once per crawl."""
        if _is_ip_literal(host):
            return []
        if host not in self._addresses:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except socket.gaierror:
                # Not resolvable now: the download itself fails and is recorded in words.
                return []
            self._addresses[host] = sorted({str(info[4][0]) for info in infos})
        return self._addresses[host]


def is_allowed_host(host: str, allowed_domains: list[str]) -> bool:
    """``www.nsf.gov`` is allowed by ``nsf.gov`` and ``www.nsf.gov``, not by ``gov``-lookalikes."""
    return any(host == domain or host.endswith("." + domain) for domain in allowed_domains)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
