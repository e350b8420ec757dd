"""What a source's past runs say about its list page, for the layout-drift fallback.

When a list page's selectors stop matching, the generic extractor (spiders/fallback.py)
looks for the list that holds the items govwatch already knows from this source; it must
find some of them again before anything it reads is trusted. This module is the one read
of the database it needs, so that no SQL lives in the crawler.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage.db import transaction
from storage.models import CrawlRun, Publication
from storage.outbox import enqueue_ops_alert

KNOWN_ITEMS_READ = 500  # the newest items of a source; a list page shows far fewer
GOOD_OUTCOMES = ("ok", "partial")


@dataclass(frozen=True)
class KnownItems:
    """A source's newest stored item URLs (canonical) and how many rows its last good
    regular (non-baseline) run read; the crawl engine turns it into the spider's memory."""

    urls: tuple[str, ...]
    usual_rows: int | None


def load_known_items(engine: Engine, source_id: str) -> KnownItems:
    """The source's newest known items and its last good run's row count."""
    with transaction(engine) as session:
        urls = session.scalars(
            select(Publication.url)
            .where(Publication.source_id == source_id)
            .order_by(Publication.id.desc())
            .limit(KNOWN_ITEMS_READ)
        ).all()
        usual_rows = session.scalar(
            select(CrawlRun.items_parsed)
            .where(
                CrawlRun.source_id == source_id,
                CrawlRun.outcome.in_(GOOD_OUTCOMES),
                CrawlRun.is_baseline.is_(False),
            )
            .order_by(CrawlRun.id.desc())
            .limit(1)
        )
    return KnownItems(urls=tuple(urls), usual_rows=usual_rows or None)


def notify_layout_drift(session: Session, run: CrawlRun, destination: str) -> bool:
    """One ops notice when a source's runs turn ``degraded`` (its text names the source and
    the suggested selectors); the degraded runs that follow add none. True when queued."""
    previous = session.scalar(
        select(CrawlRun.outcome)
        .where(
            CrawlRun.source_id == run.source_id,
            CrawlRun.id < run.id,
            CrawlRun.finished_at.is_not(None),
        )
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
    if run.outcome != "degraded" or previous == "degraded":
        return False
    enqueue_ops_alert(
        session,
        text=f"{run.source_id} is degraded: {run.error}",
        source_id=run.source_id,
        state="degraded",
        destination=destination,
    )
    return True
