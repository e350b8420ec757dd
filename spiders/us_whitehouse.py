"""The White House: the WordPress RSS feeds of its news sections, read as one source.

Each section (briefings & statements, presidential actions, fact sheets, releases, and the
all-sections news feed) has ``/<section>/feed/``: RSS 2.0, 30 items a page, older pages at
``?paged=N``. One post can sit in several feeds (a fact sheet that is also a statement; the
news feed repeats every section), so the WordPress post id in the ``guid``
(``https://www.whitehouse.gov/?p=53705``) is the identity and the post is stored once.
The document type comes from the post's categories, which are the same in every feed;
legacy category names ("Statements and Releases", "Press Briefings" …) and the legacy
``/briefing-room/<section>/`` paths are mapped too, and a category not mapped is counted on
the run (``check`` shows it) instead of passing silently as ``news``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from parsel import Selector
from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.errors import LayoutChanged
from crawler.items import Attachment, PublicationItem
from spiders.feed import FeedSpider
from spiders.json_api import with_query

logger = logging.getLogger(__name__)


class UsWhitehouseSpider(FeedSpider):
    """whitehouse.gov section feeds; see the module docstring for the site's shape."""

    name = "us_whitehouse"

    # Most specific first: a presidential action carries "Presidential Actions" plus its
    # kind, and a cross-posted fact sheet carries "Briefings & Statements" too.
    doc_types_by_category: ClassVar[dict[str, str]] = {
        "Executive Orders": "executive_order",
        "Proclamations": "proclamation",
        "Presidential Memoranda": "memorandum",
        "Nominations & Appointments": "nomination",
        "Fact Sheets": "fact_sheet",
        "Remarks": "remarks",
        "Briefings & Statements": "statement",
        "Releases": "release",
        "Research": "research",
        "Presidential Actions": "presidential_action",
        # Legacy names (the 2021-2025 "Briefing Room" feeds, still in archives and mirrors).
        "Statements and Releases": "statement",
        "Statements & Releases": "statement",
        "Speeches and Remarks": "remarks",
        "Press Briefings": "press_briefing",
        "Legislation": "legislation",
        "Blog": "blog",
        "Articles": "article",
    }
    # A post without a known category is typed by the section in its URL path.
    doc_types_by_section: ClassVar[dict[str, str]] = {
        "presidential-actions": "presidential_action",
        "fact-sheets": "fact_sheet",
        "briefings-statements": "statement",
        "releases": "release",
        "remarks": "remarks",
        "research": "research",
        "articles": "article",
        # Legacy /briefing-room/<section>/YYYY/MM/DD/<slug>/ paths.
        "statements-releases": "statement",
        "speeches-remarks": "remarks",
        "press-briefings": "press_briefing",
        "legislation": "legislation",
        "blog": "blog",
    }
    legacy_root = "briefing-room"
    attachment_types: ClassVar[dict[str, str]] = {".pdf": "application/pdf"}
    footer = re.compile(r"^The post .* appeared first on The White House\s*\.?$", re.DOTALL)

    def entry_to_item(self, entry: Any, response: Response) -> PublicationItem | None:
        link = entry.get("link") or ""
        if not link or not entry.get("id"):
            raise LayoutChanged(self.source.id, response.url, "an entry has no link or guid")
        published = self._parse_published(entry)
        return self.item(
            url=link,
            title=entry.get("title") or "",
            native_id=entry["id"],
            published=published,
            doc_type=self._parse_doc_type(entry, link),
            summary=self._parse_summary(entry),
            attachments=self._parse_attachments(entry),
        )

    def _parse_published(self, entry: Any) -> date | datetime:
        # pubDate is UTC (+0000); shown in Washington's time so the calendar day is the site's.
        published = self.entry_date(entry)
        if isinstance(published, datetime):
            return published.astimezone(ZoneInfo(self.source.timezone))
        return published

    def _parse_doc_type(self, entry: Any, link: str) -> str | None:
        categories = [str(tag.get("term") or "").strip() for tag in entry.get("tags") or []]
        for category, doc_type in self.doc_types_by_category.items():
            if category in categories:
                return doc_type
        by_section = self.doc_types_by_section.get(self._section(link))
        # An unknown category is counted and shown by `check`, never silently "news".
        for category in categories:
            if category:
                self.run.note_unknown_type(category)
        return by_section

    def _section(self, link: str) -> str:
        # /fact-sheets/2026/11/… → fact-sheets; /briefing-room/press-briefings/2022/… →
        # press-briefings (the legacy Briefing Room nests its sections one level down).
        parts = [part for part in urlsplit(link).path.split("/") if part]
        if len(parts) > 1 and parts[0] == self.legacy_root:
            return parts[1]
        return parts[0] if parts else ""

    def _parse_summary(self, entry: Any) -> str | None:
        # The description is a ~55-word teaser ending "[…]" followed by a paragraph
        # "The post … appeared first on The White House." that is not part of the text.
        teaser = Selector(text=f"<div>{entry.get('summary') or ''}</div>").xpath("//body/div")
        blocks = teaser.xpath("./p") or teaser
        paragraphs = [
            " ".join("".join(block.xpath(".//text()").getall()).split()) for block in blocks
        ]
        kept = [text for text in paragraphs if text and not self.footer.match(text)]
        summary = " ".join(kept).strip()
        if summary.endswith("[…]"):
            summary = summary.removesuffix("[…]").rstrip() + " …"
        return summary or None

    def _parse_attachments(self, entry: Any) -> list[Attachment]:
        # content:encoded opens with the section "topper" (a headline, a search form and a
        # dozen section links); it is cut off before any link is read. Signed orders are
        # linked as /wp-content/uploads/YYYY/MM/*.pdf, twice (title link + "Download").
        contents = entry.get("content") or []
        if not contents:
            return []
        body = Selector(text=contents[0].get("value") or "")
        for topper in body.css(".wp-block-whitehouse-topper"):
            topper.drop()
        attachments: dict[str, Attachment] = {}
        for anchor in body.css("a[href*='/wp-content/uploads/']"):
            href = anchor.attrib.get("href", "")
            media_type = self._media_type(href)
            if media_type is None or href in attachments:
                continue  # an image, or the "Download" button of a file already listed
            title = " ".join("".join(anchor.xpath(".//text()").getall()).split())
            attachments[href] = Attachment(url=href, title=title or None, media_type=media_type)
        return list(attachments.values())

    def _media_type(self, href: str) -> str | None:
        path = urlsplit(href).path.lower()
        return next(
            (kind for suffix, kind in self.attachment_types.items() if path.endswith(suffix)),
            None,
        )

    def next_pages(self, response: Response, feed: Any) -> Iterator[Request]:
        # Older posts are at ?paged=2, 3 …; read on a baseline or backfill only.
        page = int(response.meta.get("page", 1))
        if page >= self.run.max_pages:
            return
        yield self.request(
            with_query(response.url, paged=page + 1), page=page + 1, errback=self.on_page_error
        )

    def on_page_error(self, failure: Failure) -> None:
        # WordPress answers ?paged=N past the last page with 404: the end, not a failure.
        error = failure.value
        if isinstance(error, HttpError) and error.response.status == 404:
            request: Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy
            logger.debug(
                "Reached the last page of a feed",
                extra={"source_id": self.source.id, "url": request.url},
            )
            return
        self.on_error(failure)
