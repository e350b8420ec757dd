"""OECD publications, from the RSS rendering of the OECD web CMS search.

The search page (``<oecd-search-app>``) is rendered in the browser; its backend answers the
same query as RSS at ``api.oecd.org/webcms/search/rss`` (publications pillar, English). Two
quirks: ``pubDate`` is Paris midnight written in GMT (``Wed, 04 Nov 2026 23:00:00 GMT`` is
5 November), so the day is taken in Paris time; and the kind of publication is the
``<category domain="content-type">`` ("Report", "Policy paper", "Working paper" …), while
``domain="policy-area"`` categories are subjects.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from scrapy.http import Response

from crawler.dates import day_if_local_midnight
from crawler.items import PublicationItem
from spiders.feed import FeedSpider


class IntOecdPublicationsSpider(FeedSpider):
    name = "int_oecd_publications"

    def entry_to_item(self, entry: Any, response: Response) -> PublicationItem | None:
        item = super().entry_to_item(entry, response)
        if item is None:
            return None
        item.published = self._parse_published(entry)
        item.doc_type = self._parse_doc_type(entry)
        return item

    def _parse_published(self, entry: Any) -> date | datetime:
        return day_if_local_midnight(self.entry_date(entry), self.source.timezone)

    def _parse_doc_type(self, entry: Any) -> str | None:
        # "Policy paper" → policy_paper; the policy-area categories are subjects, not kinds.
        tags = entry.get("tags") or []
        kinds = [tag.get("term") for tag in tags if tag.get("scheme") == "content-type"]
        if not kinds or not kinds[0]:
            return None
        return re.sub(r"\W+", "_", str(kinds[0]).strip().lower()).strip("_")
