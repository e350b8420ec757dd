"""EUR-Lex predefined feed 161, "Commission proposals" (``display-feed.rss?rssId=161``).

Each title starts with the document's CELEX number (``CELEX:52026PC0741: Proposal for a
REGULATION …``) and the description is empty. The CELEX number is the identity and says what
the document is: sector 5 (preparatory acts), year, then a descriptor (``PC`` a legislative
proposal, ``DC`` a communication or report, ``SC`` a staff working document, ``JC`` a joint
communication). ``pubDate`` is midnight in Brussels, so only the day is kept. Detail pages
(``legal-content``) may answer a WAF 202 with an empty body, so they are never fetched.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.dates import day_if_local_midnight
from crawler.errors import LayoutChanged
from crawler.items import PublicationItem
from spiders.feed import FeedSpider

CELEX_TITLE = re.compile(r"^\s*CELEX:(?P<celex>\d{5}[A-Z]{1,2}\d{4}\w*)\s*:\s*(?P<title>.*)$", re.S)


class EuEurlexProposalsSpider(FeedSpider):
    name = "eu_eurlex_proposals"

    doc_types_by_descriptor: ClassVar[dict[str, str]] = {
        "PC": "legislative_proposal",
        "DC": "communication",
        "SC": "staff_working_document",
        "JC": "joint_communication",
    }

    def entry_to_item(self, entry: Any, response: Response) -> PublicationItem | None:
        celex, title = self._parse_title(entry, response)
        url = entry.get("link") or ""
        published = self._parse_published(entry)
        return self.item(
            url=url,
            native_id=f"CELEX:{celex}",
            title=title,
            published=published,
            doc_type=self._parse_doc_type(celex),
        )

    def _parse_title(self, entry: Any, response: Response) -> tuple[str, str]:
        match = CELEX_TITLE.match(entry.get("title") or "")
        if match is None:
            raise LayoutChanged(
                self.source.id, response.url, "a title does not start 'CELEX:<number>:'"
            )
        return match["celex"], match["title"]

    def _parse_published(self, entry: Any) -> date | datetime:
        return day_if_local_midnight(self.entry_date(entry), self.source.timezone)

    def _parse_doc_type(self, celex: str) -> str:
        # 5 2026 PC 0741: the descriptor follows the sector digit and the four-digit year.
        descriptor = celex[5:7].rstrip("0123456789")
        return self.doc_types_by_descriptor.get(descriptor, descriptor.lower())
