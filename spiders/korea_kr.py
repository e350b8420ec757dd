"""korea.kr (대한민국 정책브리핑): one RSS feed of press releases per ministry.

Many Korean ministry boards are JavaScript shells or refuse foreign connections, while
korea.kr republishes every ministry's 보도자료 at ``/rss/dept_<code>.xml``. The feeds share
one shape, read here once for every ministry source:

- no ``<guid>``; the link is ``…/briefing/pressReleaseView.do?newsId=<n>&call_from=rsslink``,
  so the ``newsId`` is the identity and the URL is rebuilt without ``call_from``;
- ``pubDate`` is in GMT (``Thu, 12 Nov 2026 03:00:00 GMT``) and shown in Seoul time;
- the description holds the whole release, opening with a right-aligned
  ``보도시점 : 2026. 11. 12.(목) 12:00`` line and closing with ``붙임 : 보도자료 1부. 끝.``,
  which are not part of its text.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from parsel import Selector
from scrapy.http import Response

from crawler.errors import LayoutChanged
from crawler.items import PublicationItem
from spiders.feed import FeedSpider

PRESS_RELEASE_URL = "https://www.korea.kr/briefing/pressReleaseView.do?newsId={news_id}"
BOILERPLATE = re.compile(r"^(보도시점|붙임)\s*:")


class KoreaKrPressFeedSpider(FeedSpider):
    """Base of the ``kr_*_press`` sources that read a korea.kr ministry feed."""

    name = "korea_kr_press_feed"

    def entry_to_item(self, entry: Any, response: Response) -> PublicationItem | None:
        news_id = self._parse_news_id(entry, response)
        url = PRESS_RELEASE_URL.format(news_id=news_id)
        published = self._parse_published(entry)
        return self.item(
            url=url,
            native_id=news_id,
            title=entry.get("title") or "",
            published=published,
            summary=self._parse_summary(entry),
        )

    def _parse_news_id(self, entry: Any, response: Response) -> str:
        link = entry.get("link") or ""
        news_ids = parse_qs(urlsplit(link).query).get("newsId") or [""]
        if not news_ids[0].isdigit():
            raise LayoutChanged(self.source.id, response.url, f"no newsId in the link {link!r}")
        return news_ids[0]

    def _parse_published(self, entry: Any) -> date | datetime:
        published = self.entry_date(entry)
        if isinstance(published, datetime):
            return published.astimezone(ZoneInfo(self.source.timezone))
        return published

    def _parse_summary(self, entry: Any) -> str | None:
        body = Selector(text=f"<div>{entry.get('summary') or ''}</div>").xpath("//body/div")
        paragraphs = [
            " ".join("".join(block.xpath(".//text()").getall()).split())
            for block in (body.xpath("./p") or body)
        ]
        kept = [text for text in paragraphs if text and not BOILERPLATE.match(text)]
        return " ".join(kept) or None
