"""Store new publications and queue their alerts, in one transaction per item.

``check`` runs are dry: items are collected in the run state and nothing is written.
Every item ends counted: new (stored now), duplicate (already known), or, when the
database refuses it, invalid with the reason, and the run fails (``store_error``) so that
its validators are not saved and the next run reads everything again.

A source is a silent baseline until one run has read all its URLs: items are stored, no
alert is queued (unless ``--backfill``). A baseline resumed after an interrupted first run
alerts only items dated after that first run began.

A "new" item whose title and day match a stored publication of the same source at another
address is held back as a move candidate; the runner settles these when the run ends
(:mod:`crawler.moves`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.orm import Session

from crawler.alerts.router import publication_router
from crawler.items import PublicationItem, Router
from crawler.pipelines.run_aware import RunAware
from crawler.runs import MoveCandidate, RunState, StoreFailed
from crawler.urls import identity_url
from storage.db import transaction
from storage.identity import is_pdf, stored_doc_key
from storage.publications import StoreResult, is_stored, known_elsewhere, store_publication
from storage.records import NewPublication


def new_publication(item: PublicationItem) -> NewPublication:
    """The storage record of a crawled item: plain values, URLs in their identity form."""
    return NewPublication(
        source_id=item.source_id,
        doc_key=item.doc_key,
        url=item.url,
        title=item.title,
        native_id=item.native_id,
        url_identifies=item.url_identifies,
        identity_url=identity_url(item.url) if item.url_identifies else None,
        published=item.published,
        language=item.language,
        country=item.country,
        publisher=item.publisher,
        doc_type=item.doc_type,
        summary=item.summary,
        attachments=[a.model_dump() for a in item.attachments],
        topics=list(item.topics),
        pdf_identity_urls=[
            identity_url(a.url) for a in item.attachments if is_pdf(a.url, a.media_type)
        ],
    )


def store_publication_item(
    session: Session, item: PublicationItem, *, run_id: int | None, destinations: Sequence[str]
) -> StoreResult:
    """Store a crawled item and queue its alerts (see :mod:`storage.publications`)."""
    return store_publication(
        session, new_publication(item), run_id=run_id, destinations=destinations
    )


def console_only(_item: PublicationItem) -> Sequence[str]:
    """Default routing before any rule is configured: every alert to the console sink."""
    return ("console",)


def is_alerting(run: RunState, item: PublicationItem) -> bool:
    """Whether a new item of this run goes to analysts."""
    if not run.alerts_enabled:
        return False
    if not run.is_baseline or run.backfill:
        return True
    return run.baseline_since is not None and _moment(item.published) > run.baseline_since


def _moment(published: date | datetime | None) -> datetime:
    if isinstance(published, datetime):
        return published
    if published is None:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.combine(published, time(), tzinfo=UTC)


def store_item(run: RunState, item: PublicationItem, destinations: Sequence[str]) -> None:
    """Store one item in its own transaction, and count it new or duplicate."""
    if run.engine is None:
        raise RuntimeError("store_item needs a run with a database")
    with transaction(run.engine) as session:
        result = store_publication_item(session, item, run_id=run.run_id, destinations=destinations)
    _count(run, result.is_new)


def _count(run: RunState, is_new: bool) -> None:
    if is_new:
        run.items_new += 1
    else:
        run.items_duplicate += 1


class StorePipeline(RunAware):
    """The engine comes with the run (``RunState``), not with Scrapy settings, because
    settings are copied and an engine cannot be. Where alerts go is decided here, once per
    crawl, from the app configuration the crawl was started with (``CrawlOptions.app_config``,
    which the runner gives the crawl's :class:`~spiders.base.BatchSpider`): the daemon's held
    configuration, or the CLI's. Without one (checks, tests) every alert goes to the console.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        config = self.batch.app_config
        self.router: Router = publication_router(config) if config is not None else console_only

    def destinations(self, run: RunState, item: PublicationItem) -> tuple[str, ...]:
        """Where a new item's alert goes: nowhere during a silent baseline."""
        return tuple(self.router(item)) if is_alerting(run, item) else ()

    def process_item(self, item: PublicationItem) -> PublicationItem:
        run = self.run_for(item.source_id)
        if run is None:
            raise DropItem(f"an item of unknown source {item.source_id!r}")
        if run.dry_run or run.engine is None:
            run.items.append(item)
            return item
        try:
            self._store(run, item)
        except Exception as exc:
            raise StoreFailed(
                item.source_id, item.url, f"could not be stored: {type(exc).__name__}: {exc}"
            ) from exc
        return item

    def _store(self, run: RunState, item: PublicationItem) -> None:
        """One transaction: held back as a move candidate, or stored and counted."""
        if run.engine is None:
            raise RuntimeError("storing needs a run with a database")
        run.seen_doc_keys.add(stored_doc_key(item.doc_key))
        candidate: MoveCandidate | None = None
        with transaction(run.engine) as session:
            record = new_publication(item)
            known = None if is_stored(session, record) else known_elsewhere(session, record)
            if known is not None:
                candidate = MoveCandidate(
                    item, known.id, known.doc_key, known.url, self.destinations(run, item)
                )
            else:
                result = store_publication_item(
                    session, item, run_id=run.run_id, destinations=self.destinations(run, item)
                )
        if candidate is not None:
            run.move_candidates.append(candidate)
        else:
            _count(run, result.is_new)
