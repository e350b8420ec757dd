"""NSF news list (``/news/releases``): a Drupal views page, the fallback for the news RSS.

Rows are the ``article`` teasers in ``div.view-content`` (one per ``div.views-row``; older
crawlers matched either), each a ``div.latest-news-teaser`` with a type
label (NSF News, Statement, Media Advisory, Research News), a ``<time class="datetime">``
whose ``datetime`` attribute is UTC while its text is the Eastern-time day ("November 20,
2026" for 2026-11-21T02:30:00Z; when the two name different days the shown day is
kept), the headline link ``/news/<slug>`` and a teaser body.
Menus, a "Featured" box and facets also link ``/news/…``, so only the view's rows are read.
Pages are ``?page=N`` from 0, linked by the pager's ``rel=next``. Plain clients are sometimes
served a JavaScript "Just a moment..." challenge with status 200; that is a blocked run.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from parsel import Selector
from scrapy.http import Response, TextResponse

from crawler.dates import parse_date
from crawler.errors import DateParseError
from crawler.items import PublicationItem
from spiders.list_page import ListPageSpider, shown_day_wins, text_of


class UsNsfNewsListSpider(ListPageSpider):
    """www.nsf.gov/news/releases; see the module docstring for the page's shape."""

    name = "us_nsf_news_list"

    doc_types: ClassVar[dict[str, str]] = {
        "NSF News": "news",  # the RSS feed's items: us_nsf_news types them "news" too
        "Statement": "statement",
        "Media Advisory": "media_advisory",
        "Research News": "research_news",
    }
    challenge_markers = ("Just a moment", "Enable JavaScript and cookies", "challenge-form")

    def is_blocked(self, response: Response) -> bool:
        # The challenge page has no view at all; a redesign without the view but without
        # these markers is reported as a layout change instead.
        if not isinstance(response, TextResponse) or response.css("div.view-content"):
            return False
        return any(marker in response.text for marker in self.challenge_markers)

    def row_to_item(self, row: Selector, response: Response) -> PublicationItem | None:
        item = super().row_to_item(row, response)
        if item is None:
            return None
        item.doc_type = self._parse_doc_type(item.doc_type)
        return item

    def row_date(self, row: Selector, url: str) -> date | datetime | None:
        # time@datetime is UTC; the site shows it in Eastern time, and so do we. When the
        # visible day is another one, the visible day is what readers saw: it wins.
        raw = text_of(row, self.selectors.date or "")
        if raw is None:
            raise DateParseError(self.source.id, url, "", "the row shows no time@datetime")
        stamp = parse_date(raw, timezone="UTC", source_id=self.source.id, url=url)
        if not isinstance(stamp, datetime):
            raise DateParseError(self.source.id, url, str(stamp), "time@datetime has no time")
        published = stamp.astimezone(ZoneInfo(self.source.timezone))
        shown = self.read_shown_date(text_of(row, "time::text"), url)
        return shown_day_wins(published, shown, self.source.timezone)

    def _parse_doc_type(self, label: str | None) -> str | None:
        if not label:
            return None
        return self.doc_types.get(label, "_".join(label.lower().split()))
