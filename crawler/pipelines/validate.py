"""Reject items that cannot be alerted on, and say why on the run record.

An invalid item is never silently dropped: its URL and the reason go into the run's error
text and ``items_invalid`` count, and the run's outcome becomes ``partial``.

A publication date before :data:`EARLIEST_PUBLICATION` or more than
:data:`FUTURE_TOLERANCE` ahead of today is a misread or a placeholder (``31 Dec 9999``), not a
date to alert on or to sort by; such an item is invalid with that reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem

from crawler.items import PublicationItem
from crawler.pipelines.run_aware import RunAware

EARLIEST_PUBLICATION = date(1990, 1, 1)
FUTURE_TOLERANCE = timedelta(days=7)


def date_problem(published: date | datetime, today: date | None = None) -> str | None:
    """Why ``published`` is outside the sane window, or None when it is inside.

    Compared by the day as written (no time zone arithmetic, which overflows near year 9999).
    """
    today = today or datetime.now(UTC).date()
    day = published.date() if isinstance(published, datetime) else published
    if day < EARLIEST_PUBLICATION:
        return f"publication date {day.isoformat()} is before {EARLIEST_PUBLICATION.year}"
    if day > today + FUTURE_TOLERANCE:
        return (
            f"publication date {day.isoformat()} is more than "
            f"{FUTURE_TOLERANCE.days} days in the future"
        )
    return None


def problems_of(item: PublicationItem) -> list[str]:
    """Every reason this item cannot be stored, in words (empty when it is fine)."""
    problems = []
    if not item.title:
        problems.append("no title")
    parts = urlsplit(item.url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        problems.append(f"URL {item.url!r} is not an absolute http(s) URL")
    if item.published is None:
        problems.append("no publication date")
    elif (problem := date_problem(item.published)) is not None:
        problems.append(problem)
    return problems


class ValidatePipeline(RunAware):
    def process_item(self, item: PublicationItem) -> PublicationItem:
        problems = problems_of(item)
        if problems:
            run = self.run_for(item.source_id)
            if run is not None:
                run.note_invalid(item.url, ", ".join(problems))
            raise DropItem(f"{item.source_id}: invalid item {item.url}: {', '.join(problems)}")
        return item
