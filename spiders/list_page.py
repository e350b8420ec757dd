"""ListPageSpider: an HTML page listing publications, read with selectors from the config.

Selectors are CSS (parsel, with ``::text`` / ``::attr(x)``) or XPath when prefixed with
``xpath:``; field selectors are relative to the row. The charset comes from the HTTP header
or the page's ``<meta>`` (Scrapy's HtmlResponse), so Shift_JIS and GBK pages decode.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from parsel import Selector, SelectorList
from scrapy import Request
from scrapy.http import Response, TextResponse

from crawler.dates import parse_date
from crawler.errors import LayoutChanged
from crawler.items import Publication
from crawler.sources import ListSelectors
from spiders.base import SourceSpider

NON_DOCUMENT_SCHEMES = ("javascript:", "mailto:", "#")


def select(node: Selector | Response, query: str) -> SelectorList[Selector]:
    """Run a config selector: CSS, or XPath when written ``xpath:…``."""
    if isinstance(node, Response) and not isinstance(node, TextResponse):
        raise TypeError(
            f"{node.url} is not a text page (Content-Type {node.headers.get('Content-Type')!r})"
        )
    if query.startswith("xpath:"):
        return node.xpath(query.removeprefix("xpath:"))
    return node.css(query)


def text_of(node: Selector, query: str | None) -> str | None:
    """All text the selector finds, joined; None when the selector is unset or finds nothing."""
    if not query:
        return None
    parts = [part.strip() for part in select(node, query).getall()]
    joined = " ".join(part for part in parts if part)
    return joined or None


class ListPageSpider(SourceSpider):
    name = "list_page"

    @property
    def selectors(self) -> ListSelectors:
        if self.source.list_selectors is None:
            raise LayoutChanged(self.source.id, None, "no 'list' selectors configured")
        return self.source.list_selectors

    def parse_page(self, response: Response) -> Iterator[Publication | Request]:
        rows = self.rows(response)
        if not rows:
            raise LayoutChanged(
                self.source.id, response.url, f"no rows matched {self.selectors.item!r}"
            )
        for row in rows:
            item = self.item_or_reject(self.row_to_item, row, response)
            if item is not None and self.source.keeps(item.url):
                yield item
        yield from self.next_pages(response)

    def rows(self, response: Response) -> list[Selector]:
        """The rows that stand for publications (navigation rows such as 更多 left out)."""
        return [
            row
            for row in select(response, self.selectors.item)
            if not (text_of(row, self.selectors.link) or "").startswith(NON_DOCUMENT_SCHEMES)
        ]

    def row_to_item(self, row: Selector, response: Response) -> Publication | None:
        url = self.row_url(row, response)
        published = self.row_date(row, url)
        return self.item(
            url=url,
            title=text_of(row, self.selectors.title) or "",
            published=published,
            summary=text_of(row, self.selectors.summary),
            doc_type=text_of(row, self.selectors.doc_type),
        )

    def row_url(self, row: Selector, response: Response) -> str:
        """The row's document URL (hook: boards whose links are JavaScript calls)."""
        href = text_of(row, self.selectors.link)
        if not href:
            raise LayoutChanged(
                self.source.id, response.url, f"a row has no link at {self.selectors.link!r}"
            )
        return response.urljoin(href)

    def row_date(self, row: Selector, url: str) -> date | datetime | None:
        raw = text_of(row, self.selectors.date)
        if raw is None:
            return None
        return parse_date(
            raw,
            timezone=self.source.timezone,
            languages=[self.source.language],
            date_order=self.selectors.date_order,
            source_id=self.source.id,
            url=url,
        )

    def next_pages(self, response: Response) -> Iterator[Request]:
        """Follow the configured next-page link until the run's page budget is spent."""
        page = int(response.meta.get("page", 1))
        if not self.selectors.next_page or page >= self.run.max_pages:
            return
        href = select(response, self.selectors.next_page).get()
        if href:
            yield self.request(response.urljoin(href), page=page + 1)
