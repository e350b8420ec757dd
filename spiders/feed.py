"""FeedSpider: RSS 2.0, RSS 1.0 (RDF) and Atom feeds.

Scrapy fetches the bytes (timeouts, retries, throttling, conditional GET); feedparser only
parses them and never fetches. Dates are read from the raw text with :mod:`crawler.dates`
rather than feedparser's UTC tuples, so the source's own offset survives.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import feedparser
from parsel import Selector
from scrapy import Request
from scrapy.http import Response

from crawler.dates import parse_date
from crawler.errors import DateParseError, FeedParseError
from crawler.items import PublicationItem
from spiders.base import SourceSpider


def html_to_text(html: str | None) -> str | None:
    """Visible text of an HTML fragment (feeds put markup and entities such as ``&#8230;``
    in descriptions)."""
    if not html:
        return None
    if "<" not in html and "&" not in html:
        return html
    return " ".join(Selector(text=f"<div>{html}</div>").xpath("//text()").getall())


def without_echoed_summary(item: PublicationItem) -> PublicationItem:
    """Feeds (Japanese RSS 1.0 among them) often repeat the title as the description; that
    says nothing more, so the item has no summary rather than its title twice."""
    if item.summary and " ".join(item.summary.split()) == " ".join(item.title.split()):
        item.summary = None
    return item


class FeedSpider(SourceSpider):
    name = "feed"

    def parse_page(self, response: Response) -> Iterator[PublicationItem | Request]:
        feed = feedparser.parse(response.body, response_headers=self._headers_of(response))
        if not feed.entries:
            if feed.bozo:
                reason = f"not a readable feed ({feed.get('bozo_exception', 'unknown error')})"
                raise FeedParseError(self.source.id, response.url, reason)
            raise FeedParseError(self.source.id, response.url, "the feed has no entries")
        seen: set[str] = set()
        for entry in feed.entries:
            # A feed that repeats an entry (same guid, or same link without one) lists it once.
            key = str(entry.get("id") or entry.get("link") or "")
            if key and key in seen:
                self.run.note_repeated()
                continue
            seen.add(key)
            item = self.item_or_reject(self.entry_to_item, entry, response)
            if item is not None and self.source.keeps(item.url):
                yield without_echoed_summary(item)
        yield from self.next_pages(response, feed)

    def next_pages(self, response: Response, feed: Any) -> Iterator[Request]:
        """Hook: older pages of the feed (WordPress ``?paged=N``) on a backfill."""
        return iter(())

    def entry_to_item(self, entry: Any, response: Response) -> PublicationItem | None:
        """One feed entry as a PublicationItem; None (with the reason recorded) if unusable.

        An entry without a ``<link>`` keeps the feed's URL as the place to read it, but that
        URL does not identify it (many entries share it): its guid does, else its title and
        date (see :attr:`PublicationItem.doc_key`).
        """
        link = (entry.get("link") or "").strip()
        published = self.entry_date(entry)
        return self.item(
            url=response.urljoin(link) if link else response.url,
            url_identifies=bool(link),
            title=entry.get("title") or "",
            native_id=entry.get("id") or None,
            published=published,
            summary=html_to_text(entry.get("summary")),
            language=self._language(entry),
        )

    def entry_date(self, entry: Any) -> date | datetime:
        raw = entry.get("published") or entry.get("updated") or entry.get("created")
        if not raw:
            raise DateParseError(self.source.id, entry.get("link"), "", "the entry has no date")
        return parse_date(
            raw,
            timezone=self.source.timezone,
            languages=[self.source.language],
            source_id=self.source.id,
            url=entry.get("link"),
        )

    def _language(self, entry: Any) -> str | None:
        detail = entry.get("title_detail") or {}
        language = detail.get("language")
        return str(language).split("-")[0].lower() if language else None

    @staticmethod
    def _headers_of(response: Response) -> dict[str, str]:
        content_type = response.headers.get(b"Content-Type")
        return {"content-type": content_type.decode("latin-1")} if content_type else {}
