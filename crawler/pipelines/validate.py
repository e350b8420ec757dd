"""Reject items that cannot be alerted on, and say why on the run record.

An invalid item is never silently dropped: its URL and the reason go into the run's error
text and ``items_invalid`` count, and the run's outcome becomes ``partial``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import DropItem

from crawler.items import Publication
from crawler.runs import RunAware


def problems_of(item: Publication) -> list[str]:
    """Every reason this item cannot be stored, in words (empty when it is fine)."""
    problems = []
    if not item.title:
        problems.append("no title")
    parts = urlsplit(item.url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        problems.append(f"URL {item.url!r} is not an absolute http(s) URL")
    if item.published is None:
        problems.append("no publication date")
    return problems


class ValidatePipeline(RunAware):
    def process_item(self, item: Publication) -> Publication:
        problems = problems_of(item)
        if problems:
            run = self.run_for(item.source_id)
            if run is not None:
                run.note_invalid(item.url, ", ".join(problems))
            raise DropItem(f"{item.source_id}: invalid item {item.url}: {', '.join(problems)}")
        return item
