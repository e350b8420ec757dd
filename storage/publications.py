"""The ``publications`` and ``document_keys`` tables as the crawl writes and reads them.

The central function is :func:`store_publication`: insert-if-absent with
``INSERT … ON CONFLICT DO NOTHING RETURNING``, so that two crawls racing on the same source
cannot both believe an item is new, and the outbox rows are written in the same transaction.
It takes a :class:`~storage.records.NewPublication` (built by the store pipeline), not the
crawl's item, so storage needs nothing from ``crawler/``. The web app's reads are in
:mod:`storage.publications_read`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.identity import document_keys, stored_doc_key
from storage.models import AlertOutbox, CrawlRun, DocumentKey, Publication, utcnow
from storage.records import NewPublication
from storage.upsert import dialect_insert


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
    record: NewPublication,
    *,
    run_id: int | None,
    destinations: Sequence[str],
) -> StoreResult:
    """Insert the item if its ``(source_id, doc_key)`` is unseen and queue its alerts.

    A new item whose identity key (URL, PDF, distinctive native id, or title + day + publisher;
    see :mod:`storage.identity`) was already claimed by a publication of *another* source
    is stored as a duplicate of it and not alerted again.
    """
    values = publication_values(record, run_id=run_id, first_seen_at=utcnow())
    statement = (
        dialect_insert(session, Publication)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source_id", "doc_key"])
        .returning(Publication.id)
    )
    publication_id = session.execute(statement).scalar_one_or_none()
    if publication_id is None:
        return StoreResult(None)
    duplicate_of = _claim_document_keys(session, record, publication_id)
    if duplicate_of is not None:
        session.get_one(Publication, publication_id).duplicate_of = duplicate_of
        return StoreResult(publication_id, duplicate_of)
    for destination in destinations:
        session.add(AlertOutbox(publication_id=publication_id, destination=destination))
    return StoreResult(publication_id)


def publication_values(
    record: NewPublication, *, run_id: int | None, first_seen_at: datetime
) -> dict[str, Any]:
    """The ``publications`` row of a new record (one definition for the single and the
    bulk path, :mod:`storage.bulk_publications`)."""
    published_on, published_at = split_published(record.published)
    return {
        "source_id": record.source_id,
        "doc_key": stored_doc_key(record.doc_key),
        "native_id": record.native_id,
        "url": record.url,
        "title": record.title,
        "published_on": published_on,
        "published_at": published_at,
        "language": record.language,
        "country": record.country,
        "publisher": record.publisher,
        "doc_type": record.doc_type,
        "summary": record.summary,
        "attachments": [dict(a) for a in record.attachments],
        "topics": list(record.topics),
        "run_id": run_id,
        "first_seen_at": first_seen_at,
    }


def split_published(value: date | datetime | None) -> tuple[date | None, datetime | None]:
    """``(published_on, published_at)``: the day always, the moment when the source gave one."""
    if isinstance(value, datetime):
        return value.date(), value
    return value, None


def record_document_keys(record: NewPublication) -> list[str]:
    """The cross-source identity keys of a new publication (see :mod:`storage.identity`)."""
    return document_keys(
        url=record.identity_url,
        title=record.title,
        day=split_published(record.published)[0],
        publisher=record.publisher,
        native_id=record.native_id,
        pdf_urls=record.pdf_identity_urls,
    )


def is_stored(session: Session, record: NewPublication) -> bool:
    """Whether this source already stored this document (same ``doc_key``)."""
    found = session.scalar(
        select(Publication.id).where(
            Publication.source_id == record.source_id,
            Publication.doc_key == stored_doc_key(record.doc_key),
        )
    )
    return found is not None


def known_elsewhere(session: Session, record: NewPublication) -> Publication | None:
    """A stored publication of the same source with the same title and day but another
    identity: the same document at a new address, if most new items look like this."""
    day = split_published(record.published)[0]
    if day is None or not record.url_identifies:
        return None
    rows = session.scalars(
        select(Publication).where(
            Publication.source_id == record.source_id,
            Publication.published_on == day,
            Publication.title == record.title,
            Publication.doc_key != stored_doc_key(record.doc_key),
        )
    )
    return next(iter(rows), None)


def record_move(session: Session, publication_id: int, record: NewPublication) -> bool:
    """Point a stored publication at its new address (URL and identity); claim the new
    address's keys for it. False when the new key is already taken (then nothing changes)."""
    new_key = stored_doc_key(record.doc_key)
    taken = session.scalar(
        select(Publication.id).where(
            Publication.source_id == record.source_id, Publication.doc_key == new_key
        )
    )
    if taken is not None:
        return False
    publication = session.get_one(Publication, publication_id)
    publication.url = record.url
    publication.doc_key = new_key
    publication.native_id = record.native_id or publication.native_id
    for key in record_document_keys(record):
        session.execute(
            dialect_insert(session, DocumentKey)
            .values(key=key, publication_id=publication_id)
            .on_conflict_do_nothing(index_elements=["key"])
        )
    return True


def _claim_document_keys(
    session: Session, record: NewPublication, publication_id: int
) -> int | None:
    """Claim each key; return the owner if another source's publication already holds one."""
    duplicate_of = None
    for key in record_document_keys(record):
        claimed = session.execute(
            dialect_insert(session, DocumentKey)
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
        if owner.source_id != record.source_id and duplicate_of is None:
            duplicate_of = owner.id
    return duplicate_of


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


def new_items_since(session: Session, since: datetime) -> dict[str, int]:
    """New publications per source first seen since ``since``, baselines left out."""
    rows = session.execute(
        select(Publication.source_id, func.count())
        .join(CrawlRun, CrawlRun.id == Publication.run_id)
        .where(Publication.first_seen_at >= since, CrawlRun.is_baseline.is_(False))
        .group_by(Publication.source_id)
    )
    return {source_id: int(count) for source_id, count in rows}


def database_totals(session: Session) -> tuple[int, int, int]:
    """``(publications, crawl runs, outbox rows)`` stored: the demo's closing line."""
    return (
        int(session.scalar(select(func.count()).select_from(Publication)) or 0),
        int(session.scalar(select(func.count()).select_from(CrawlRun)) or 0),
        int(session.scalar(select(func.count()).select_from(AlertOutbox)) or 0),
    )
