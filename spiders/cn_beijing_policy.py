"""Beijing municipal government, 政策文件 (policy documents): a static TRS list page.

The list is ``ul.default_news > li``: an optional ``i.flag`` (text "是"), a link whose text is
cut with "…" and whose ``title`` holds the full title, and a ``<span>YYYY-MM-DD</span>`` in
Beijing time. The last row is a "更多" link to ``javascript:void(0)`` that also has a date.
Links are relative (``./202611/t20261118_4951273.html``), so the list URL keeps its trailing
slash. Pages are ``index.html``, ``index_1.html``, ``index_2.html`` … drawn by a JavaScript
``Pager({size:N, current:k, …})``, so page URLs are built here. Page 1 holds hundreds of rows.

The list has no summary, issuer, time of day or attachments; the detail page has them
(``meta[name=Description]``, ``meta[name=ContentSource]``, ``meta[name=PubDate]`` and
``./P0….pdf`` links in ``#mainText``). Detail pages of the newest rows are read one at a
time (the site is marked anti-crawler elsewhere), with the list as Referer; the item is
carried along and yielded whatever happens to its detail page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.dates import parse_date
from crawler.errors import DateParseError, LayoutChanged
from crawler.items import Attachment, PublicationItem
from spiders.list_page import ListPageSpider, text_of

logger = logging.getLogger(__name__)


class CnBeijingPolicySpider(ListPageSpider):
    """www.beijing.gov.cn/zhengce/zhengcefagui/; see the module docstring for its shape."""

    name = "cn_beijing_policy"

    detail_rows = 10  # newest rows of page 1 completed from their detail pages
    doc_id = re.compile(r"/t\d{8}_(\d+)\.html?$")
    pager = re.compile(r"Pager\(\{\s*size\s*:\s*(\d+)\s*,\s*current\s*:\s*(\d+)")
    pub_date = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{1,2}:\d{2}(?::\d{2})?)?")
    # The kind of document is the last word of its title (…的通知, …的意见, …的批复).
    doc_types_by_title_ending: ClassVar[dict[str, str]] = {
        "通知": "notice",
        "通告": "circular",
        "公告": "announcement",
        "意见": "opinion",
        "决定": "decision",
        "批复": "approval",
        "措施": "measures",
        "办法": "measures",
        "规定": "regulation",
        "方案": "plan",
        "规划": "plan",
    }
    attachment_types: ClassVar[dict[str, str]] = {
        ".pdf": "application/pdf",
        ".doc": "application/msword",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".xls": "application/vnd.ms-excel",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".ofd": "application/ofd",
        ".zip": "application/zip",
    }

    def parse_page(self, response: Response) -> Iterator[PublicationItem | Request]:
        # The newest rows of page 1 are held back and yielded once their detail page has
        # been read (or has failed); every other row is yielded from the list alone.
        page = int(response.meta.get("page", 1))
        held: list[PublicationItem] = []
        for entry in super().parse_page(response):
            if page == 1 and isinstance(entry, PublicationItem) and len(held) < self.detail_rows:
                held.append(entry)
            else:
                yield entry
        yield from self._next_detail(held, referer=response.url)

    def row_to_item(self, row: Selector, response: Response) -> PublicationItem | None:
        item = super().row_to_item(row, response)
        if item is None:
            return None
        item.title = self._parse_title(row, response)
        item.native_id = self._parse_native_id(item.url)
        item.doc_type = self._parse_doc_type(item.title)
        return item

    def _parse_title(self, row: Selector, response: Response) -> str:
        # The link text is cut at ~28 characters with "…"; @title has the whole title.
        title = (row.css("a::attr(title)").get() or "").strip()
        if title:
            return title
        shown = text_of(row, "a ::text") or ""
        if shown.endswith(("…", "...")):
            raise LayoutChanged(
                self.source.id,
                response.url,
                f"a row has no title attribute and its text is cut: {shown!r}",
            )
        return shown

    def _parse_native_id(self, url: str) -> str | None:
        # t20261118_4951273.html: the number after "_" is the TRS document id.
        match = self.doc_id.search(urlsplit(url).path)
        return match.group(1) if match else None

    def _parse_doc_type(self, title: str) -> str | None:
        return next(
            (kind for end, kind in self.doc_types_by_title_ending.items() if title.endswith(end)),
            None,
        )

    def next_pages(self, response: Response) -> Iterator[Request]:
        # index.html is page 1, index_1.html page 2, index_{k}.html page k+1; the pager
        # script, when present, says how many pages there are.
        page = int(response.meta.get("page", 1))
        if page >= self.run.max_pages or self._is_last_page(response, page):
            return
        base = str(self.source.urls[0])
        yield self.request(urljoin(base, f"index_{page}.html"), page=page + 1)

    def _is_last_page(self, response: Response, page: int) -> bool:
        match = self.pager.search(response.text)
        return bool(match and page >= int(match.group(1)))

    # Detail pages, one at a time: each callback yields its item, then asks for the next.

    def _next_detail(self, pending: list[PublicationItem], referer: str) -> Iterator[Request]:
        if not pending:
            return
        item, rest = pending[0], pending[1:]
        yield self.request(
            item.url,
            callback=self.parse_detail,
            errback=self.on_detail_error,
            headers={"Referer": referer},
            meta={"item": item, "pending": rest, "referer": referer},
        )

    def parse_detail(self, response: Response) -> Iterator[PublicationItem | Request]:
        item: PublicationItem = response.meta["item"]
        if response.status == 200 and isinstance(response, TextResponse):
            self._complete(item, response)
        yield item
        yield from self._next_detail(response.meta["pending"], response.meta["referer"])

    def on_detail_error(self, failure: Failure) -> Iterator[PublicationItem | Request]:
        # A detail page that fails costs the item its extra fields, never the item itself.
        # Scrapy sets ``request`` on the failures it hands an errback (Twisted's type has no
        # such attribute).
        request: Request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        logger.warning(
            "Could not read a detail page; the item keeps the list's fields (%s)",
            failure.getErrorMessage(),
            extra={"source_id": self.source.id, "url": request.url},
        )
        yield meta["item"]
        yield from self._next_detail(meta["pending"], meta["referer"])

    def _complete(self, item: PublicationItem, response: TextResponse) -> None:
        page = response.selector
        item.publisher = _meta(page, "ContentSource") or item.publisher
        item.summary = _meta(page, "Description") or item.summary
        item.attachments = self._parse_attachments(page, response)
        # The list's day is kept unless the detail page gives a time on that same day.
        published = self._parse_pub_date(page, response.url)
        if published is not None and published.date() == item.published:
            item.published = published

    def _parse_pub_date(self, page: Selector, url: str) -> datetime | None:
        # PubDate may hold two datetimes ("2026-11-18 17:32 2026-11-19 09:15"): the first
        # is the publication, the second an edit.
        match = self.pub_date.search(_meta(page, "PubDate") or "")
        if match is None:
            return None
        try:
            value = parse_date(
                match.group(0), timezone=self.source.timezone, source_id=self.source.id, url=url
            )
        except DateParseError as exc:
            logger.warning(
                "Ignored the detail page's PubDate: %s", exc, extra={"source_id": self.source.id}
            )
            return None
        return value if isinstance(value, datetime) else None

    def _parse_attachments(self, page: Selector, response: Response) -> list[Attachment]:
        # TRS names attachments ./P0YYYYMMDD….pdf, relative to the detail page.
        found: dict[str, Attachment] = {}
        for anchor in page.css("#mainText a[href]"):
            url = response.urljoin(anchor.attrib["href"])
            media_type = self._media_type(url)
            if media_type and url not in found:
                title = anchor.attrib.get("title") or "".join(anchor.css("::text").getall())
                found[url] = Attachment(url=url, title=title.strip() or None, media_type=media_type)
        return list(found.values())

    def _media_type(self, url: str) -> str | None:
        path = urlsplit(url).path.lower()
        return next(
            (kind for suffix, kind in self.attachment_types.items() if path.endswith(suffix)),
            None,
        )


def _meta(page: Selector, name: str) -> str | None:
    value = page.css(f"meta[name='{name}']::attr(content)").get()
    return value.strip() if value and value.strip() else None
