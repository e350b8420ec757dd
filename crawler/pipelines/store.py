"""Store new publications and queue their alerts, in one transaction per batch of items.

``check`` runs are dry: items are collected in the run state and nothing is written.
Every item ends counted: new (stored now), duplicate (already known), or, when the
database refuses it, invalid with the reason, and the run fails (``store_error``) so that
its validators are not saved and the next run reads everything again.

Items are written in batches, not one by one (a baseline of 10,000 items was 10,000
transactions): the pipeline holds a run's items in ``RunState.pending_store`` and writes
them (:func:`store_batch`, one transaction, bulk statements of
:mod:`storage.bulk_publications`) when :data:`STORE_BATCH_ITEMS` are waiting, when
:data:`STORE_FLUSH_SECONDS` have passed since the first one waited (so a new item's alert
is queued within that delay, whatever else the crawl is doing), when the crawl closes, and
at the latest when the runner settles the run (:func:`flush_pending`), before it is
recorded. An item is counted only once its batch is committed. If a batch fails, each of
its items is tried alone (:func:`store_one`), so only the item the database refuses is
invalid; a process killed between two batches leaves the run ``running`` (closed as
``interrupted`` later), its validators unsaved and a baseline still a baseline, so the
next run reads everything again.

A source is a silent baseline until one run has read all its URLs: items are stored, no
alert is queued (unless ``--backfill``). A baseline resumed after an interrupted first run
alerts only items dated after that first run began.

A new, alerting publication whose summary says no more than its title is noted on its run
(``RunState.detail_wanted``) once its batch is committed: the crawl fetches its detail page
before it ends (crawler/detail_pages.py).

A "new" item whose title and day match a stored publication of the same source at another
address is held back as a move candidate; the runner settles these when the run ends
(:mod:`crawler.moves`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.reactor import CallLaterOnce
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crawler.alerts.router import publication_router
from crawler.digest.key_points import says_more
from crawler.items import PublicationItem, Router
from crawler.pipelines.run_aware import RunAware
from crawler.runs import DetailWanted, MoveCandidate, RunState, StoreFailed
from crawler.urls import identity_url
from storage.bulk_publications import (
    ToStore,
    known_elsewhere_many,
    store_publications,
    stored_doc_keys,
)
from storage.db import transaction
from storage.identity import is_pdf, stored_doc_key
from storage.publications import StoreResult, is_stored, known_elsewhere, store_publication
from storage.records import NewPublication

logger = logging.getLogger(__name__)

STORE_BATCH_ITEMS = 500  # at most this many items per transaction
STORE_FLUSH_SECONDS = 0.25  # how long an item may wait for its batch

Pending = tuple[RunState, PublicationItem, Sequence[str]]  # an item waiting for its batch


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
    """Store one item in its own transaction, and count it new or duplicate (a move
    candidate settled as new: no second look for moves)."""
    if run.engine is None:
        raise RuntimeError("store_item needs a run with a database")
    with transaction(run.engine) as session:
        result = store_publication_item(session, item, run_id=run.run_id, destinations=destinations)
    _count(run, item, result)


def store_one(run: RunState, item: PublicationItem, destinations: Sequence[str]) -> None:
    """One item, one transaction: held back as a move candidate, or stored and counted.
    Raises what the database raised (the caller counts the item invalid)."""
    if run.engine is None:
        raise RuntimeError("storing needs a run with a database")
    candidate: MoveCandidate | None = None
    with transaction(run.engine) as session:
        record = new_publication(item)
        known = None if is_stored(session, record) else known_elsewhere(session, record)
        if known is not None:
            candidate = MoveCandidate(item, known.id, known.doc_key, known.url, tuple(destinations))
        else:
            result = store_publication(
                session, record, run_id=run.run_id, destinations=destinations
            )
    if candidate is not None:
        run.move_candidates.append(candidate)
    else:
        _count(run, item, result)


def store_batch(entries: Sequence[Pending]) -> None:
    """Write a batch of items (of one or several runs, on one engine) in one transaction
    and count each on its run: held back as a move candidate, new, or duplicate. If the
    batch fails, each item is tried alone, and an item the database refuses is counted
    invalid with the reason and fails its run. Never raises for a database error: every
    item of ``entries`` ends counted."""
    if not entries:
        return
    engine = entries[0][0].engine
    if engine is None or any(run.engine is not engine for run, _item, _to in entries):
        raise RuntimeError("a batch is stored by runs of one database")
    try:
        with transaction(engine) as session:
            candidates, results = _store_entries(session, entries)
    except Exception as exc:
        logger.warning(
            "A batch of %d items could not be stored (%s: %s); storing them one by one",
            len(entries),
            type(exc).__name__,
            exc,
        )
        _store_each(entries)
        return
    for run, candidate in candidates:
        run.move_candidates.append(candidate)
    for run, item, result in results:
        _count(run, item, result)


def _store_entries(
    session: Session, entries: Sequence[Pending]
) -> tuple[
    list[tuple[RunState, MoveCandidate]], list[tuple[RunState, PublicationItem, StoreResult]]
]:
    """The batch's move candidates (as :func:`store_one` would find them), and the results
    of storing the others; nothing is counted until the transaction commits."""
    records = [new_publication(item) for _run, item, _to in entries]
    stored = stored_doc_keys(session, records)
    fresh = [
        index
        for index, record in enumerate(records)
        if (record.source_id, stored_doc_key(record.doc_key)) not in stored
    ]
    known = known_elsewhere_many(session, [records[index] for index in fresh])
    moved = {index: found for index, found in zip(fresh, known, strict=True) if found is not None}
    candidates = [
        (
            entries[index][0],
            MoveCandidate(
                entries[index][1], found.id, found.doc_key, found.url, tuple(entries[index][2])
            ),
        )
        for index, found in moved.items()
    ]
    kept = [index for index in range(len(entries)) if index not in moved]
    results = store_publications(
        session,
        [ToStore(records[i], entries[i][0].run_id, entries[i][2]) for i in kept],
    )
    return candidates, [
        (entries[i][0], entries[i][1], result) for i, result in zip(kept, results, strict=True)
    ]


def _store_each(entries: Sequence[Pending]) -> None:
    """Each item in its own transaction; once the database itself is unreachable
    (``OperationalError``), the rest are counted invalid with that reason, untried."""
    unreachable: str | None = None
    for run, item, destinations in entries:
        reason = unreachable
        if reason is None:
            try:
                store_one(run, item, destinations)
                continue
            except Exception as exc:
                reason = f"could not be stored: {type(exc).__name__}: {exc}"
                if isinstance(exc, OperationalError):
                    unreachable = reason
        run.note_invalid(item.url, reason)
        run.fail(StoreFailed(item.source_id, item.url, reason))


def flush_pending(runs: Iterable[RunState]) -> None:
    """Write the items these runs still hold, in batches of at most
    :data:`STORE_BATCH_ITEMS` (:func:`store_batch`); a no-op when they hold none."""
    by_engine: dict[int, list[Pending]] = {}
    for run in runs:
        held, run.pending_store = run.pending_store, []
        if held and not run.dry_run and run.engine is not None:
            by_engine.setdefault(id(run.engine), []).extend(
                (run, item, destinations) for item, destinations in held
            )
    for entries in by_engine.values():
        for start in range(0, len(entries), STORE_BATCH_ITEMS):
            store_batch(entries[start : start + STORE_BATCH_ITEMS])


def _count(run: RunState, item: PublicationItem, result: StoreResult) -> None:
    """Count a committed item new or duplicate, and note the detail page it needs."""
    if result.is_new:
        run.items_new += 1
    else:
        run.items_duplicate += 1
    if result.publication_id is not None and wants_detail_page(run, item, result):
        run.detail_wanted.append(DetailWanted(result.publication_id, item.url))


def wants_detail_page(run: RunState, item: PublicationItem, result: StoreResult) -> bool:
    """A detail page is worth a request only for a publication stored as new (not a
    cross-source duplicate, which no digest takes), alerted (not a silent baseline item),
    whose summary says no more than its title (docs/digest.md, "Key points")."""
    return (
        result.is_alertable
        and not run.dry_run
        and is_alerting(run, item)
        and not says_more(item.summary, item.title)
    )


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
        self._flush_later = CallLaterOnce(self.flush_all)
        self.held = 0  # items waiting in the runs' ``pending_store``

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
            run.pending_store.append((item, self.destinations(run, item)))
        except Exception as exc:
            raise StoreFailed(
                item.source_id, item.url, f"could not be stored: {type(exc).__name__}: {exc}"
            ) from exc
        run.seen_doc_keys.add(stored_doc_key(item.doc_key))
        self.held += 1
        if self.held >= STORE_BATCH_ITEMS:
            self.flush_all()
        else:
            self._flush_later.schedule(STORE_FLUSH_SECONDS)
        return item

    def flush_all(self) -> None:
        """Write what every run of the crawl holds, together (the timer, a full batch, and
        the crawl's end): one transaction per :data:`STORE_BATCH_ITEMS` items."""
        self.held = 0
        flush_pending(self.batch.runs.values())

    def close_spider(self) -> None:
        self._flush_later.cancel()
        self.flush_all()
