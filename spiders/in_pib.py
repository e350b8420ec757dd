"""Press Information Bureau (India): the all-ministries English headline feed.

``RssMain.aspx?ModId=6&Lang=1&Regid=3&reg=3``: without ``reg=3`` the portal redirects by
geography and may answer with Hindi items. Items are headlines only: the ``<description>``
is the issuing ministry ("Ministry of Electronics & IT"), not a summary, so it becomes the
item's publisher. The release id ``PRID`` in the link is the identity.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response

from crawler.errors import LayoutChanged
from crawler.items import PublicationItem
from spiders.feed import FeedSpider


class InPibSpider(FeedSpider):
    name = "in_pib"

    def entry_to_item(self, entry: Any, response: Response) -> PublicationItem | None:
        link = entry.get("link") or ""
        prid = self._parse_prid(link, response)
        published = self.entry_date(entry)
        return self.item(
            url=link,
            native_id=prid,
            title=entry.get("title") or "",
            published=published,
            publisher=self._parse_ministry(entry),
        )

    def _parse_prid(self, link: str, response: Response) -> str:
        prids = parse_qs(urlsplit(link).query).get("PRID") or [""]
        if not prids[0].isdigit():
            raise LayoutChanged(self.source.id, response.url, f"no PRID in the link {link!r}")
        return prids[0]

    def _parse_ministry(self, entry: Any) -> str | None:
        # The description names the ministry; the bureau itself is the fallback publisher.
        ministry = " ".join(str(entry.get("summary") or "").split())
        return ministry or None
