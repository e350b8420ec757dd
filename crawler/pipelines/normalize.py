"""Normalize every item the same way, whatever spider produced it.

Canonical URL (so URL variants deduplicate), collapsed whitespace and Unicode NFC in text
fields, the source's metadata where the spider left a field empty, and times made aware in
the source's time zone.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from scrapy.exceptions import DropItem

from crawler.items import PublicationItem
from crawler.pipelines.run_aware import RunAware
from crawler.urls import canonicalize_url

_SPACE = re.compile(r"\s+")


def clean_text(text: str | None) -> str | None:
    """NFC, no control characters, single spaces; None for text that is only space."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u3000", " ")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\n\t")
    text = _SPACE.sub(" ", text).strip()
    return text or None


class NormalizePipeline(RunAware):
    def process_item(self, item: PublicationItem) -> PublicationItem:
        spider = self.spider_for(item.source_id)
        if spider is None:
            raise DropItem(f"an item of unknown source {item.source_id!r}")
        source, run = spider.source, spider.run
        run.items_parsed += 1
        item.title = clean_text(item.title) or ""
        item.summary = clean_text(item.summary)
        try:
            item.url = canonicalize_url(item.url)
        except ValueError as exc:
            run.note_invalid(item.url, str(exc))
            raise DropItem(f"{source.id}: invalid item: {exc}") from exc
        for attachment in item.attachments:
            attachment.url = canonicalize_url(attachment.url)
            attachment.title = clean_text(attachment.title)
        item.country = item.country or source.country
        item.publisher = item.publisher or source.publisher
        item.language = item.language or source.language
        item.doc_type = item.doc_type or source.doc_type
        if isinstance(item.published, datetime) and item.published.tzinfo is None:
            item.published = item.published.replace(tzinfo=ZoneInfo(source.timezone))
        return item
