"""Fetch the detail pages of digest candidates, once, politely and inside the safety rules.

The route is a plain HTTP client (``http.client``), not a Scrapy crawl: the digest needs a
handful of pages a week, and the crawl engine is being reshaped. It applies the same rules
as every crawl (crawler/middlewares/safety.py):

- only ``http``/``https``; the host must be in the source's ``allowed_domains``;
- the host is resolved once, every address is judged with
  :func:`crawler.address_ranges.forbidden_reason` (private, loopback, link-local …
  refused unless the source has ``allow_private_network``), and the connection is made to
  the address that was judged (no second lookup, so DNS rebinding cannot slip in);
- redirects (at most 3) are checked the same way; robots.txt is obeyed with the crawl's
  rules (:class:`crawler.robots_rules.RobotsRules`, ``ROBOTSTXT_OBEY``), for every hop;
- govwatch's User-Agent, a timeout, at most 2 MB per page, one request per host per
  ``delay`` seconds, or per the host's robots.txt ``Crawl-delay`` when that is longer (as
  the crawl's download slots do, crawler/middlewares/robots_cache.py); a host asking for
  more than ``max_crawl_delay`` (30 s, as for the crawl's detail pages) gives no page, so
  one odd robots.txt cannot hold a build for hours.

Since the crawl fetches the detail pages of the publications it stores
(crawler/detail_pages.py), this client is the fallback for candidates with no attempt
recorded: publications stored before that, those over the crawl's
per-run cap, move candidates settled as new after their crawl.

Every outcome is returned: the main text (crawler/digest/key_points.py), or one line
saying why there is none; build.py stores either, so a page is fetched once.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from crawler.address_ranges import forbidden_reason, parse_address
from crawler.digest.key_points import extract_main_text
from crawler.fetch_identity import (
    DETAIL_MAX_BYTES,
    DETAIL_MAX_CRAWL_DELAY,
    USER_AGENT,
    is_allowed_host,
)
from crawler.robots_rules import RobotsRules
from crawler.sources import SourceConfig
from storage.models import Publication

MAX_BYTES = DETAIL_MAX_BYTES
MAX_REDIRECTS = 3


class Refused(Exception):
    """A page that must not, or could not, be fetched; the message says why in one line."""


@dataclass
class DetailFetcher:
    """Fetches detail pages for ``build_digest(fetch_texts=…)``."""

    sources: dict[str, SourceConfig]
    delay: float = 1.0
    timeout: float = 20.0
    max_crawl_delay: float = DETAIL_MAX_CRAWL_DELAY  # a longer robots.txt Crawl-delay refuses
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    # The pace each host was given for its latest request (seconds between requests):
    # ``delay``, or its robots.txt Crawl-delay when longer. Read by the tests and the logs.
    intervals: dict[str, float] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)
    _robots: dict[str, RobotsRules | None] = field(default_factory=dict)

    def __call__(
        self, publications: Sequence[Publication]
    ) -> dict[int, tuple[str | None, str | None]]:
        outcomes: dict[int, tuple[str | None, str | None]] = {}
        for publication in publications:
            source = self.sources.get(publication.source_id)
            if source is None:
                outcomes[publication.id] = (
                    None,
                    f"source {publication.source_id} is not configured",
                )
                continue
            try:
                html, final_url = self.get(publication.url, source)
                text = extract_main_text(html, final_url)
                outcomes[publication.id] = (text, None if text else "no main text found")
            except Refused as exc:
                outcomes[publication.id] = (None, str(exc))
        return outcomes

    def get(self, url: str, source: SourceConfig) -> tuple[str, str]:
        """The page's HTML and its final URL, after the checks and redirects above (robots.txt
        is asked for every hop, as the crawl does: a redirect may lead to a path or host the
        rules forbid)."""
        for _ in range(MAX_REDIRECTS + 1):
            refusal = self._robots_refusal(url, source)
            if refusal is not None:
                raise Refused(f"{url}: {refusal}")
            status, headers, body = self._request(url, source)
            if status in (301, 302, 303, 307, 308) and headers.get("location"):
                url = urljoin(url, headers["location"])
                continue
            if status != 200:
                raise Refused(f"HTTP {status} for {url}")
            charset = _charset(headers.get("content-type", ""))
            return body.decode(charset, errors="replace"), url
        raise Refused(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _robots_refusal(self, url: str, source: SourceConfig) -> str | None:
        """Why robots.txt forbids ``url`` (the crawl's own rules, crawler/robots_rules.py), or
        asks for a longer Crawl-delay than ``max_crawl_delay``, or None. A robots.txt that
        could not be fetched at all decides nothing, as in the crawl; the page request that
        follows meets the same fault and says so."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            rules: RobotsRules | None = None
            try:
                status, _, body = self._request(origin + "/robots.txt", source)
                rules = RobotsRules(origin, status, body.decode("utf-8", errors="replace"))
            except Refused:
                rules = None
            self._robots[origin] = rules
        rules = self._robots[origin]
        if rules is None:
            return None
        crawl_delay = rules.crawl_delay(USER_AGENT)
        if crawl_delay is not None and crawl_delay > self.max_crawl_delay:
            return (
                f"robots.txt asks for {crawl_delay:g} s between requests, more than the "
                f"{self.max_crawl_delay:g} s a detail page may wait"
            )
        return rules.refusal(url, USER_AGENT)

    def _request(self, url: str, source: SourceConfig) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise Refused(f"only http and https URLs are fetched, not {parts.scheme or 'none'}")
        host = (parts.hostname or "").lower()
        if not is_allowed_host(host, source.allowed_domains):
            raise Refused(
                f"{host} is outside the source's allowed_domains "
                f"({', '.join(source.allowed_domains)})"
            )
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = self._checked_address(host, port, source)
        self._wait_turn(host, self._robots.get(f"{parts.scheme}://{parts.netloc}"))
        connection = _pinned(parts.scheme, host, port, address, self.timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request(
                "GET", path, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*"}
            )
            response = connection.getresponse()
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise Refused(f"{url} is larger than {MAX_BYTES // 1024 // 1024} MB")
            headers = {name.lower(): value for name, value in response.getheaders()}
            return response.status, headers, body
        except (OSError, http.client.HTTPException) as exc:
            raise Refused(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
        finally:
            connection.close()

    def _checked_address(self, host: str, port: int, source: SourceConfig) -> str:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise Refused(f"cannot resolve {host}: {exc}") from None
        addresses = [str(info[4][0]) for info in infos]
        for text in addresses:
            address = parse_address(text)
            reason = forbidden_reason(address) if address is not None else "not an address"
            if reason is not None and not source.allow_private_network:
                raise Refused(f"{host} resolves to {text}, {reason} (allow_private_network is off)")
        return addresses[0]

    def _wait_turn(self, host: str, rules: RobotsRules | None) -> None:
        """Sleep until the host's turn: ``delay`` after its last request, or the Crawl-delay
        of its robots.txt (once that has been read) when longer."""
        crawl_delay = rules.crawl_delay(USER_AGENT) if rules is not None else None
        interval = max(self.delay, crawl_delay or 0.0)
        self.intervals[host] = interval
        last = self._last.get(host)
        if last is not None:
            remaining = last + interval - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self._last[host] = self.clock()


def _pinned(
    scheme: str, host: str, port: int, address: str, timeout: float
) -> http.client.HTTPConnection:
    """A connection to ``address`` (already judged) that still says ``host`` (Host, SNI)."""

    class Pinned(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.create_connection((address, port), timeout)

    class PinnedTLS(http.client.HTTPSConnection):
        def connect(self) -> None:
            raw = socket.create_connection((address, port), timeout)
            self.sock = ssl.create_default_context().wrap_socket(raw, server_hostname=host)

    if scheme == "https":
        return PinnedTLS(host, port, timeout=timeout)
    return Pinned(host, port, timeout=timeout)


def _charset(content_type: str) -> str:
    for part in content_type.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            try:
                "".encode(value.strip("\"'"))
                return value.strip("\"'")
            except LookupError:
                return "utf-8"
    return "utf-8"
