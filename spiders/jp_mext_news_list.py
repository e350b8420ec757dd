"""MEXT's 新着情報 page: one month of items grouped under date headings, no pagination.

Inside ``div.dateList`` each day is an ``h3.information-date`` heading in Japanese era form
(令和8年11月27日) followed by a ``ul.news_list``; each row carries tags (a field such as
科学技術・学術 in ``contents_fieldicon_NN``, a genre such as 報道発表 in ``genre_NN``) and one
link, relative or absolute, sometimes straight to a PDF. The navigation and the 注目情報 box
also link press releases, so only rows inside ``div.dateList`` are read. The page may be
served as Shift_JIS with the charset only in ``<meta>``; Scrapy's HtmlResponse reads it there.
The RDF feed (jp_mext_news) has the same items without tags; this page is read for them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from parsel import Selector
from scrapy.http import Response

from crawler.dates import parse_date
from crawler.errors import LayoutChanged
from crawler.items import Attachment, PublicationItem
from spiders.list_page import ListPageSpider


class JpMextNewsListSpider(ListPageSpider):
    """MEXT 新着情報 list; see the module docstring for the page's shape."""

    name = "jp_mext_news_list"

    # Genre tag → doc type, most specific first: a row may carry 審議会情報 and 報道発表.
    # 公募情報 and 白書・統計 are inferred from the class numbering, not seen on the live page.
    doc_types_by_genre: ClassVar[dict[str, str]] = {
        "報道発表": "press_release",
        "大臣会見": "press_conference",
        "公募情報": "call_for_proposals",
        "白書・統計": "white_paper_statistics",
        "審議会情報": "council",
        "税制等": "tax",
        "その他": "other",
    }
    genre_tags = "div.area_tag > span.tag[class*='genre_']::text"
    field_tags = "div.area_tag > span.tag[class*='contents_fieldicon_']::text"
    heading = "./parent::ul/preceding-sibling::h3[contains(@class, 'information-date')][1]"

    def row_to_item(self, row: Selector, response: Response) -> PublicationItem | None:
        item = super().row_to_item(row, response)
        if item is None:
            return None
        item.doc_type = self._parse_doc_type(row)
        item.topics = self._parse_topics(row)
        item.attachments = self._parse_attachments(item)
        return item

    def row_date(self, row: Selector, url: str) -> date | datetime | None:
        # Dates sit in the <h3> before the row's <ul>, never on the row itself.
        heading = row.xpath(f"normalize-space({self.heading})").get()
        if not heading:
            raise LayoutChanged(
                self.source.id, url, "a row has no h3.information-date heading before its list"
            )
        return parse_date(
            heading,
            timezone=self.source.timezone,
            languages=["ja"],
            source_id=self.source.id,
            url=url,
        )

    def _parse_doc_type(self, row: Selector) -> str | None:
        genres = {tag.strip() for tag in row.css(self.genre_tags).getall()}
        return next(
            (kind for genre, kind in self.doc_types_by_genre.items() if genre in genres), None
        )

    def _parse_topics(self, row: Selector) -> list[str]:
        # Field tags (教育, 科学技術・学術, スポーツ …) are the ministry's own subject areas.
        return [tag.strip() for tag in row.css(self.field_tags).getall() if tag.strip()]

    def _parse_attachments(self, item: PublicationItem) -> list[Attachment]:
        # Budget summaries and survey results are linked straight to /content/…pdf.
        if not item.url.lower().endswith(".pdf"):
            return []
        return [Attachment(url=item.url, title=item.title or None, media_type="application/pdf")]
