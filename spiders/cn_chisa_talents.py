"""神州学人 (chisa.edu.cn), 人才 section: a static TRS list page whose rows have no date.

Documents live at ``/talents/YYYYMM/tYYYYMMDD_<id>.html`` (the TRS scheme Beijing uses too);
the list links them relatively (``./202611/t20261112_2111539281.html``), often with the full
title in ``title`` and a cut one as text. The list shows no date: scrapers of the site take
the day from the URL, and the detail page only writes it from a script variable
(``var customtime = '2026年01月13日'``). The same page also links documents of other sections
(headlines, sidebars), so only links of this section's form count as rows; a page with none
is a changed site, not an empty one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response

from crawler.errors import DateParseError, LayoutChanged
from crawler.items import PublicationItem
from spiders.list_page import ListPageSpider, select, text_of


class CnChisaTalentsSpider(ListPageSpider):
    """www.chisa.edu.cn/talents/; see the module docstring for the shape of its rows."""

    name = "cn_chisa_talents"

    # /talents/202611/t20261112_2111539281.html → day 2026-11-12, document id 2111539281
    document_path = re.compile(r"^/talents/(\d{6})/t(\d{4})(\d{2})(\d{2})_(\d+)\.html?$")

    def rows(self, response: Response) -> list[Selector]:
        """The links to documents of this section on this site, once each, in page order.

        A picture link before the title link has no title: the first link with one counts.
        """
        host = urlsplit(response.url).netloc
        seen: set[str] = set()
        rows = []
        for link in select(response, self.selectors.item):
            url = urlsplit(response.urljoin(text_of(link, self.selectors.link) or ""))
            if url.netloc != host or not self.document_path.match(url.path):
                continue
            if url.geturl() not in seen and self._title(link):
                seen.add(url.geturl())
                rows.append(link)
        return rows

    def parse_page(self, response: Response) -> Iterator[PublicationItem | Request]:
        if not self.rows(response):
            # Say what was looked for: the configured row selector is only "a[href]".
            raise LayoutChanged(
                self.source.id,
                response.url,
                "no links of the form /talents/YYYYMM/tYYYYMMDD_<id>.html",
            )
        yield from super().parse_page(response)

    def row_to_item(self, row: Selector, response: Response) -> PublicationItem | None:
        url = response.urljoin(text_of(row, self.selectors.link) or "")
        match = self.document_path.match(urlsplit(url).path)
        if match is None:  # rows() keeps only matching links; this guards a subclass
            raise LayoutChanged(self.source.id, response.url, f"not a document link: {url}")
        return self.item(
            url=url,
            native_id=match[5],
            title=self._title(row),
            published=self._parse_day(match, url),
        )

    def _title(self, link: Selector) -> str:
        """The full title in @title, else the (possibly cut) link text."""
        return text_of(link, self.selectors.title) or text_of(link, "::text") or ""

    def _parse_day(self, match: re.Match[str], url: str) -> date:
        """The day in tYYYYMMDD, which must fall in the month of the YYYYMM folder."""
        year, month, day = int(match[2]), int(match[3]), int(match[4])
        if match[1] != f"{year:04d}{month:02d}":
            raise DateParseError(self.source.id, url, match[0], "folder and day disagree")
        try:
            return date(year, month, day)
        except ValueError as exc:
            raise DateParseError(self.source.id, url, match[0], str(exc)) from exc
