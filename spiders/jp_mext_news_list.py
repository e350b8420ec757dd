"""MEXT's 新着情報 page: one month of items grouped under date headings, no pagination.

Each day is an ``h3.information-date`` heading in Japanese era form (令和8年3月10日)
followed by a ``ul.news_list`` whose rows carry tags (教育, 科学技術・学術, 報道発表 …) and
one link, relative or absolute. The page may be served as Shift_JIS with the charset only in
``<meta>``; Scrapy's HtmlResponse reads it from there.
"""

from __future__ import annotations

from datetime import date, datetime

from parsel import Selector

from crawler.dates import parse_date
from crawler.errors import DateParseError
from spiders.list_page import ListPageSpider


class JpMextNewsListSpider(ListPageSpider):
    name = "jp_mext_news_list"

    def row_date(self, row: Selector, url: str) -> date | datetime | None:
        # Dates sit in the preceding <h3>, never on the row itself.
        heading = row.xpath(
            "normalize-space(preceding::h3[contains(@class, 'information-date')][1])"
        ).get()
        if not heading:
            raise DateParseError(self.source.id, url, "", "no information-date heading above")
        return parse_date(
            heading,
            timezone=self.source.timezone,
            languages=["ja"],
            source_id=self.source.id,
            url=url,
        )
