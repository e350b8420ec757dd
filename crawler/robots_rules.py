"""What a host's robots.txt answer allows, and how long that answer may be kept (RFC 9309).

- 2xx: the rules in the body, parsed with Protego (Scrapy's robots.txt parser), including
  ``Crawl-delay``.
- 4xx ("unavailable"): no rules, everything may be fetched (RFC 9309 §2.3.1.3).
- 5xx and 429 ("unreachable"): nothing may be fetched from the host (§2.3.1.4), and the
  answer is kept only :data:`UNREACHABLE_TTL`, so the host is asked again soon. 429 is
  counted here because a server asking us to slow down is not granting access.

How long an answer is kept (§2.4): ``Cache-Control: max-age`` when the host sends one,
never more than :data:`MAX_TTL` (24 hours, also the default); ``no-store``/``no-cache``
mean not at all.
"""

from __future__ import annotations

import re
from datetime import timedelta

from protego import Protego

MAX_TTL = timedelta(hours=24)
UNREACHABLE_TTL = timedelta(minutes=10)
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)


def is_unreachable(status: int) -> bool:
    """A server error or 429: the host's rules are unknown, so nothing is fetched."""
    return status >= 500 or status == 429


def time_to_keep(status: int, cache_control: str | None) -> timedelta:
    """How long the answer ``status`` (with its Cache-Control header) may be reused."""
    if is_unreachable(status):
        return UNREACHABLE_TTL
    if cache_control:
        if _NO_CACHE.search(cache_control):
            return timedelta(0)
        match = _MAX_AGE.search(cache_control)
        if match:
            return min(timedelta(seconds=int(match.group(1))), MAX_TTL)
    return MAX_TTL


class RobotsRules:
    """The rules of one origin (``scheme://host[:port]``), from its status and body."""

    def __init__(self, origin: str, status: int, body: str) -> None:
        self.origin = origin
        self.status = status
        self._parser = Protego.parse(body) if 200 <= status < 300 else None

    def refusal(self, url: str, user_agent: str) -> str | None:
        """Why ``url`` must not be fetched (in words), or None when it may."""
        robots_url = f"{self.origin}/robots.txt"
        if is_unreachable(self.status):
            minutes = int(UNREACHABLE_TTL.total_seconds() // 60)
            return (
                f"{robots_url} answered HTTP {self.status}; while a host's robots.txt is "
                f"unreachable nothing is fetched from it (RFC 9309), asked again in "
                f"{minutes} minutes"
            )
        if self._parser is not None and not self._parser.can_fetch(url, user_agent):
            return f"forbidden by robots.txt ({robots_url} disallows this URL)"
        return None

    def crawl_delay(self, user_agent: str) -> float | None:
        """The host's ``Crawl-delay`` for us in seconds, if it sets one."""
        if self._parser is None:
            return None
        delay = self._parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None
