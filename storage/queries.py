"""The reads and writes the pipeline, the runner and the CLI need, one function each.

The central one is :func:`store_publication`: insert-if-absent with
``INSERT … ON CONFLICT DO NOTHING RETURNING``, so that two crawls racing on the same source
cannot both believe an item is new, and the outbox rows are written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crawler.items import Publication as PublicationItem
from storage.identity import (
    document_keys,
    is_pdf,
    stored_doc_key,
    url_hash,
)
from storage.models import (
    AlertOutbox,
    CrawlRun,
    DocumentKey,
    Publication,
    SchedulerLease,
    Source,
    UrlValidator,
    utcnow,
)

SUCCESS_OUTCOMES = ("ok", "not_modified")


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def sync_sources(session: Session, sources: Iterable[tuple[str, str]]) -> None:
    """Make sure a ``sources`` row exists for each ``(id, name)``; names follow the config."""
    for source_id, name in sources:
        statement = _insert(session, Source).values(
            id=source_id, name=name, state="new", consecutive_failures=0, created_at=utcnow()
        )
        session.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"name": name}))


def baseline_states(
    session: Session, source_ids: Sequence[str]
) -> dict[str, tuple[datetime | None, datetime | None]]:
    """``source_id → (baseline completed at, first run started at)``.

    A source is in baseline until one run has read all its URLs (``baseline_completed_at``);
    an interrupted or partial first run leaves it there. The first run's start tells a
    resumed baseline which items appeared after watching began.
    """
    completed = {
        source_id: at
        for source_id, at in session.execute(
            select(Source.id, Source.baseline_completed_at).where(Source.id.in_(source_ids))
        )
    }
    first_runs = {
        source_id: at
        for source_id, at in session.execute(
            select(CrawlRun.source_id, func.min(CrawlRun.started_at))
            .where(CrawlRun.source_id.in_(source_ids))
            .group_by(CrawlRun.source_id)
        )
    }
    return {
        source_id: (completed.get(source_id), _aware(first_runs.get(source_id)))
        for source_id in source_ids
    }


def _aware(moment: datetime | None) -> datetime | None:
    """Aggregates skip the column type on some backends: re-attach UTC to a naive value."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def load_all_validators(
    session: Session, source_ids: Sequence[str]
) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    """``source_id → url → (etag, last_modified)`` for many sources in one query."""
    found: dict[str, dict[str, tuple[str | None, str | None]]] = {sid: {} for sid in source_ids}
    rows = session.scalars(select(UrlValidator).where(UrlValidator.source_id.in_(source_ids)))
    for row in rows:
        found[row.source_id][row.url] = (row.etag, row.last_modified)
    return found


def load_validators(session: Session, source_id: str) -> dict[str, tuple[str | None, str | None]]:
    """Stored ``url → (etag, last_modified)`` for a source's conditional requests."""
    rows = session.scalars(select(UrlValidator).where(UrlValidator.source_id == source_id))
    return {row.url: (row.etag, row.last_modified) for row in rows}


def save_validators(
    session: Session, source_id: str, validators: dict[str, tuple[str | None, str | None]]
) -> None:
    """Remember validators, called only after a run stored everything it parsed.

    Saving them earlier would let a crash between fetch and store turn the next poll into
    a 304 and lose the items of that response. They are the source's own: another source
    reading the same URL keeps its own pair.
    """
    for url, (etag, last_modified) in validators.items():
        values = {"etag": etag, "last_modified": last_modified, "updated_at": utcnow()}
        statement = _insert(session, UrlValidator).values(
            source_id=source_id, url_hash=url_hash(url), url=url, **values
        )
        session.execute(
            statement.on_conflict_do_update(index_elements=["source_id", "url_hash"], set_=values)
        )


def start_run(session: Session, source_id: str, *, is_baseline: bool) -> int:
    run = CrawlRun(source_id=source_id, is_baseline=is_baseline, started_at=utcnow())
    session.add(run)
    session.flush()
    return run.id


@dataclass(frozen=True)
class RunRecord:
    """What a finished run reports; written to ``crawl_runs``."""

    outcome: str
    http_statuses: dict[str, int]
    items_parsed: int
    items_new: int
    items_invalid: int
    error: str | None
    items_duplicate: int = 0


def preload_runs(session: Session, run_ids: Sequence[int], source_ids: Sequence[str]) -> None:
    """Load many runs and their sources in two queries, so recording a batch of runs finds
    them in the session instead of selecting each one."""
    session.scalars(select(CrawlRun).where(CrawlRun.id.in_(run_ids))).all()
    session.scalars(select(Source).where(Source.id.in_(source_ids))).all()


def finish_run(
    session: Session, run_id: int, record: RunRecord, *, completes_baseline: bool = False
) -> CrawlRun:
    """Write the run's record; ``completes_baseline`` when it read every URL of its source."""
    run = session.get_one(CrawlRun, run_id)
    run.finished_at = utcnow()
    run.outcome = record.outcome
    run.http_statuses = dict(record.http_statuses)
    run.items_parsed = record.items_parsed
    run.items_new = record.items_new
    run.items_invalid = record.items_invalid
    run.items_duplicate = record.items_duplicate
    run.error = record.error
    source = session.get_one(Source, run.source_id)
    source.last_run_at = run.finished_at
    if completes_baseline and source.baseline_completed_at is None:
        source.baseline_completed_at = run.finished_at
    if record.outcome in SUCCESS_OUTCOMES:
        source.last_success_at = run.finished_at
    if record.items_new:
        source.last_new_item_at = run.finished_at
    return run


@dataclass(frozen=True)
class StoreResult:
    """``publication_id`` is None when the item was already stored for this source."""

    publication_id: int | None
    duplicate_of: int | None = None

    @property
    def is_new(self) -> bool:
        return self.publication_id is not None

    @property
    def is_alertable(self) -> bool:
        return self.publication_id is not None and self.duplicate_of is None


def store_publication(
    session: Session,
    item: PublicationItem,
    *,
    run_id: int | None,
    destinations: Sequence[str],
) -> StoreResult:
    """Insert the item if its ``(source_id, doc_key)`` is unseen and queue its alerts.

    A new item whose identity key (URL, PDF, distinctive native id, or title + day + publisher;
    see :mod:`storage.identity`) was already claimed by a publication of *another* source
    is stored as a duplicate of it and not alerted again.
    """
    published_on, published_at = _split_published(item.published)
    values: dict[str, Any] = {
        "source_id": item.source_id,
        "doc_key": stored_doc_key(item.doc_key),
        "native_id": item.native_id,
        "url": item.url,
        "title": item.title,
        "published_on": published_on,
        "published_at": published_at,
        "language": item.language,
        "country": item.country,
        "publisher": item.publisher,
        "doc_type": item.doc_type,
        "summary": item.summary,
        "attachments": [a.model_dump() for a in item.attachments],
        "topics": list(item.topics),
        "run_id": run_id,
        "first_seen_at": utcnow(),
    }
    statement = (
        _insert(session, Publication)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source_id", "doc_key"])
        .returning(Publication.id)
    )
    publication_id = session.execute(statement).scalar_one_or_none()
    if publication_id is None:
        return StoreResult(None)
    duplicate_of = _claim_document_keys(session, item, publication_id)
    if duplicate_of is not None:
        session.get_one(Publication, publication_id).duplicate_of = duplicate_of
        return StoreResult(publication_id, duplicate_of)
    for destination in destinations:
        session.add(AlertOutbox(publication_id=publication_id, destination=destination))
    return StoreResult(publication_id)


def _split_published(value: date | datetime | None) -> tuple[date | None, datetime | None]:
    if isinstance(value, datetime):
        return value.date(), value
    return value, None


def item_document_keys(item: PublicationItem) -> list[str]:
    """The cross-source identity keys of an item (see :mod:`storage.identity`)."""
    return document_keys(
        url=item.url if item.url_identifies else None,
        title=item.title,
        day=_split_published(item.published)[0],
        publisher=item.publisher,
        native_id=item.native_id,
        pdf_urls=[a.url for a in item.attachments if is_pdf(a.url, a.media_type)],
    )


def is_stored(session: Session, item: PublicationItem) -> bool:
    """Whether this source already stored this document (same ``doc_key``)."""
    found = session.scalar(
        select(Publication.id).where(
            Publication.source_id == item.source_id,
            Publication.doc_key == stored_doc_key(item.doc_key),
        )
    )
    return found is not None


def known_elsewhere(session: Session, item: PublicationItem) -> Publication | None:
    """A stored publication of the same source with the same title and day but another
    identity: the same document at a new address, if most new items look like this."""
    day = _split_published(item.published)[0]
    if day is None or not item.url_identifies:
        return None
    rows = session.scalars(
        select(Publication).where(
            Publication.source_id == item.source_id,
            Publication.published_on == day,
            Publication.title == item.title,
            Publication.doc_key != stored_doc_key(item.doc_key),
        )
    )
    return next(iter(rows), None)


def record_move(session: Session, publication_id: int, item: PublicationItem) -> bool:
    """Point a stored publication at its new address (URL and identity); claim the new
    address's keys for it. False when the new key is already taken (then nothing changes)."""
    new_key = stored_doc_key(item.doc_key)
    taken = session.scalar(
        select(Publication.id).where(
            Publication.source_id == item.source_id, Publication.doc_key == new_key
        )
    )
    if taken is not None:
        return False
    publication = session.get_one(Publication, publication_id)
    publication.url = item.url
    publication.doc_key = new_key
    publication.native_id = item.native_id or publication.native_id
    for key in item_document_keys(item):
        session.execute(
            _insert(session, DocumentKey)
            .values(key=key, publication_id=publication_id)
            .on_conflict_do_nothing(index_elements=["key"])
        )
    return True


def _claim_document_keys(
    session: Session, item: PublicationItem, publication_id: int
) -> int | None:
    """Claim each key; return the owner if another source's publication already holds one."""
    duplicate_of = None
    for key in item_document_keys(item):
        claimed = session.execute(
            _insert(session, DocumentKey)
            .values(key=key, publication_id=publication_id)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(DocumentKey.key)
        ).scalar_one_or_none()
        if claimed is not None:
            continue
        owner = session.scalars(
            select(Publication)
            .join(DocumentKey, DocumentKey.publication_id == Publication.id)
            .where(DocumentKey.key == key)
        ).one()
        if owner.source_id != item.source_id and duplicate_of is None:
            duplicate_of = owner.id
    return duplicate_of


def pending_alerts(
    session: Session, destination_prefix: str, limit: int = 500
) -> list[AlertOutbox]:
    """Pending outbox rows for a sink, oldest first (the order they must go out in)."""
    rows = session.scalars(
        select(AlertOutbox)
        .where(
            AlertOutbox.status == "pending", AlertOutbox.destination.startswith(destination_prefix)
        )
        .order_by(AlertOutbox.id)
        .limit(limit)
    )
    return list(rows)


def latest_runs(session: Session, source_ids: Sequence[str]) -> dict[str, CrawlRun]:
    """The newest crawl run of each source."""
    newest = (
        select(CrawlRun.source_id, func.max(CrawlRun.id).label("run_id"))
        .where(CrawlRun.source_id.in_(source_ids))
        .group_by(CrawlRun.source_id)
        .subquery()
    )
    runs = session.scalars(select(CrawlRun).join(newest, CrawlRun.id == newest.c.run_id))
    return {run.source_id: run for run in runs}


def enqueue_ops_alert(
    session: Session, *, text: str, source_id: str | None, state: str | None, destination: str
) -> None:
    """Queue an operations alert (a source changed state); delivered like any other alert."""
    session.add(
        AlertOutbox(
            kind="ops",
            publication_id=None,
            destination=destination,
            payload={"text": text, "source_id": source_id, "state": state},
        )
    )


# --- Source health, the scheduler and `govwatch status` (crawler/health.py, scheduler.py) ---


def publication_times(session: Session, source_id: str, limit: int = 30) -> list[datetime]:
    """The newest publication dates of a source, newest first, as aware UTC datetimes.

    Date-only publications count as midnight UTC: enough to learn a cadence in days.
    """
    rows = session.execute(
        select(Publication.published_at, Publication.published_on)
        .where(Publication.source_id == source_id, Publication.published_on.is_not(None))
        .order_by(Publication.published_on.desc(), Publication.id.desc())
        .limit(limit)
    )
    times: list[datetime] = []
    for at, on in rows:
        if at is not None:
            times.append(at)
        elif on is not None:
            times.append(datetime.combine(on, time(), tzinfo=UTC))
    return sorted(times, reverse=True)


def source_rows(session: Session, source_ids: Sequence[str]) -> dict[str, Source]:
    """The ``sources`` rows of these ids (ids never crawled have none)."""
    rows = session.scalars(select(Source).where(Source.id.in_(source_ids)))
    return {row.id: row for row in rows}


def set_next_runs(session: Session, next_runs: dict[str, datetime | None]) -> None:
    """Record when the scheduler will next crawl each source (shown by ``govwatch status``)."""
    for source_id, when in next_runs.items():
        session.execute(update(Source).where(Source.id == source_id).values(next_run_at=when))


def new_items_since(session: Session, since: datetime) -> dict[str, int]:
    """New publications per source first seen since ``since``, baselines left out."""
    rows = session.execute(
        select(Publication.source_id, func.count())
        .join(CrawlRun, CrawlRun.id == Publication.run_id)
        .where(Publication.first_seen_at >= since, CrawlRun.is_baseline.is_(False))
        .group_by(Publication.source_id)
    )
    return {source_id: int(count) for source_id, count in rows}


def last_failed_runs(
    session: Session, source_ids: Sequence[str], outcomes: Iterable[str]
) -> dict[str, CrawlRun]:
    """The newest failed run of each source (for the "last error" column)."""
    newest = (
        select(CrawlRun.source_id, func.max(CrawlRun.id).label("run_id"))
        .where(CrawlRun.source_id.in_(source_ids), CrawlRun.outcome.in_(list(outcomes)))
        .group_by(CrawlRun.source_id)
        .subquery()
    )
    runs = session.scalars(select(CrawlRun).join(newest, CrawlRun.id == newest.c.run_id))
    return {run.source_id: run for run in runs}


def close_unfinished_runs(
    session: Session, *, started_before: datetime, reason: str, source_ids: Sequence[str] | None
) -> int:
    """Close runs a stopped process left ``running``: outcome ``interrupted`` with ``reason``.

    Such a run says nothing about the source, so health ignores the outcome; but every run
    must end with a record, not stay ``running`` for ever.
    """
    query = select(CrawlRun).where(
        CrawlRun.outcome == "running",
        CrawlRun.finished_at.is_(None),
        CrawlRun.started_at < started_before,
    )
    if source_ids is not None:
        query = query.where(CrawlRun.source_id.in_(source_ids))
    runs = list(session.scalars(query))
    for run in runs:
        run.outcome = "interrupted"
        run.finished_at = utcnow()
        run.error = reason
    return len(runs)


def write_lease(session: Session, name: str, *, hostname: str, pid: int) -> None:
    """Record this process as the holder of the scheduler lock ``name``."""
    now = utcnow()
    values = {
        "hostname": hostname,
        "pid": pid,
        "started_at": now,
        "heartbeat_at": now,
        "stopped_at": None,
        "reloaded_at": None,
        "reload_message": None,
    }
    statement = _insert(session, SchedulerLease).values(name=name, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))


def read_lease(session: Session, name: str) -> SchedulerLease | None:
    """The scheduler lease row ``name``, or None when no scheduler ever ran here."""
    return session.get(SchedulerLease, name)


def touch_lease(session: Session, name: str, pid: int, **values: Any) -> None:
    """Update the holder's row (heartbeat, reload result, stop time) if it is still ours."""
    session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.pid == pid)
        .values(**values)
    )
