"""MEXT's 新着情報 feed (RSS 1.0 / RDF): title, link and ``dc:date`` with +09:00, nothing else.

The feed has no type and no description, so the type is read from where the link points
(the site files each kind under its own path) and a link straight to a PDF becomes the
item's attachment too. The list page (jp_mext_news_list) has the genre tags; both name
types with the same words.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.items import Attachment, PublicationItem
from spiders.feed import FeedSpider


class JpMextNewsSpider(FeedSpider):
    name = "jp_mext_news"

    # Path prefix → type, most specific first (checked 2026-11 against the feed's links).
    doc_types_by_path: ClassVar[tuple[tuple[str, str], ...]] = (
        ("/b_menu/houdou/", "press_release"),
        ("/b_menu/daijin/", "press_conference"),
        ("/b_menu/shingi/", "council"),
        ("/b_menu/toukei/", "statistics"),
        ("/content/", "document"),
    )

    def entry_to_item(self, entry: Any, response: Response) -> PublicationItem | None:
        item = super().entry_to_item(entry, response)
        if item is None:
            return None
        path = urlsplit(item.url).path
        item.doc_type = self._parse_doc_type(path)
        if path.lower().endswith(".pdf"):
            item.attachments = [
                Attachment(url=item.url, title=item.title, media_type="application/pdf")
            ]
        return item

    def _parse_doc_type(self, path: str) -> str | None:
        for prefix, doc_type in self.doc_types_by_path:
            if path.startswith(prefix):
                return doc_type
        return None  # the pipeline falls back to the source's doc_type ("news")
