"""What every request govwatch makes says and obeys, whoever makes it.

The crawl (crawler/settings.py, crawler/middlewares/safety.py) and the digest's detail-page
fetch (crawler/digest/fetch.py) introduce themselves the same way and keep to the same hosts
of a source; these plain values sit on the lowest floor so both can use them
(docs/architecture.md).
"""

from __future__ import annotations

from crawler import __version__

USER_AGENT = (
    f"govwatch/{__version__} (+https://github.com/govwatch/govwatch; "
    "policy-bulletin publication monitor)"
)

# A detail page (for the digest's key points) is not fetched from a host whose robots.txt
# asks for a longer Crawl-delay, by the crawl or by ``digest build``: a few such pages would
# hold a crawl, or a build, open for many times that.
DETAIL_MAX_CRAWL_DELAY = 30.0
# The largest detail page read, by the crawl or by ``digest build``: a main text is a few
# kilobytes; a larger answer is a file or a trap.
DETAIL_MAX_BYTES = 2 * 1024 * 1024


def is_allowed_host(host: str, allowed_domains: list[str]) -> bool:
    """``www.nsf.gov`` is allowed by ``nsf.gov`` and ``www.nsf.gov``, not by ``gov``-lookalikes."""
    return any(host == domain or host.endswith("." + domain) for domain in allowed_domains)
