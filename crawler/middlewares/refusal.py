"""The exception for a request govwatch refuses to make.

Its own module so the spiders can recognise a refusal without importing the middleware
that raises it (the middleware reads the run; the spiders must not, through it, read
themselves: tests/test_architecture.py).
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class UnsafeRequest(IgnoreRequest):
    """A request govwatch refuses to make: wrong scheme, foreign host or forbidden address."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"refused {url}: {reason}")
