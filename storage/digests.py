"""Every SQL statement of the weekly digest (crawler/digest/): digests, items, main texts.

A digest's items carry the editor's choices (included, key points, position, lead); the
publications themselves are never changed by the digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import (
    AlertOutbox,
    CrawlRun,
    Digest,
    DigestItem,
    Publication,
    PublicationText,
    Source,
    utcnow,
)


@dataclass(frozen=True)
class SourceTrouble:
    """A source that failed or went stale during a digest's period (the review footer)."""

    source_id: str
    name: str
    state: str
    failed_runs: int
    last_error: str | None


def digest_for_period(session: Session, start: date, end: date) -> Digest | None:
    return session.scalars(
        select(Digest).where(Digest.period_start == start, Digest.period_end == end)
    ).first()


def get_digest(session: Session, digest_id: int) -> Digest | None:
    return session.get(Digest, digest_id)


def add_digest(
    session: Session, label: str, period_start: date, period_end: date, snapshot_at: datetime
) -> Digest:
    """A new draft digest for the period, flushed so its id can be given to its items."""
    digest = Digest(label=label, period_start=period_start, period_end=period_end)
    digest.snapshot_at = snapshot_at
    session.add(digest)
    session.flush()
    return digest


def add_items(session: Session, new_items: Sequence[DigestItem]) -> None:
    """Add items to a digest in the caller's transaction (flushed, so positions and ids are
    visible to the rest of the build)."""
    session.add_all(new_items)
    session.flush()


def mark_published(session: Session, digest: Digest) -> int:
    """``approved`` → ``published`` (now), as one conditional update, ``digest`` re-read
    after it; how many rows changed: 1 the first time, 0 when the digest was already
    published (or is not approved)."""
    result = session.execute(
        update(Digest)
        .where(Digest.id == digest.id, Digest.state == "approved")
        .values(state="published", published_at=utcnow())
    )
    session.refresh(digest)
    return int(getattr(result, "rowcount", 0))


def list_digests(session: Session, limit: int = 100) -> list[Digest]:
    """Newest period first."""
    query = select(Digest).order_by(Digest.period_start.desc(), Digest.id.desc()).limit(limit)
    return list(session.scalars(query))


def first_seen_between(session: Session, since: datetime, until: datetime) -> list[Publication]:
    """Original publications (not cross-source duplicates) first seen in [since, until),
    news only: what a source's silent baseline stored was published before govwatch watched
    it (a new source's backlog, years of it), so it is left out, unless it was alerted
    (``--backfill``, or a resumed baseline's items dated after its first run)."""
    alerted = (
        select(AlertOutbox.id)
        .where(AlertOutbox.publication_id == Publication.id, AlertOutbox.kind == "publication")
        .exists()
    )
    query = (
        select(Publication)
        .outerjoin(CrawlRun, CrawlRun.id == Publication.run_id)
        .where(
            Publication.first_seen_at >= since,
            Publication.first_seen_at < until,
            Publication.duplicate_of.is_(None),
            or_(CrawlRun.id.is_(None), CrawlRun.is_baseline.is_(False), alerted),
        )
    )
    return list(session.scalars(query.order_by(Publication.id)))


def in_other_digests(session: Session, digest_id: int | None) -> set[int]:
    """Publication ids already taken by any other digest (they never repeat)."""
    query = select(DigestItem.publication_id)
    if digest_id is not None:
        query = query.where(DigestItem.digest_id != digest_id)
    return set(session.scalars(query))


def latest_period_end(session: Session) -> date | None:
    """The last day covered by any digest on record (the weekly job's make-up starts after
    it), or None when there is none."""
    return session.scalar(select(func.max(Digest.period_end)))


def earlier_digests(session: Session, start: date) -> list[Digest]:
    return list(session.scalars(select(Digest).where(Digest.period_end < start)))


def items(session: Session, digest_id: int) -> list[tuple[DigestItem, Publication]]:
    """A digest's items with their publications, in reading order: country, then position."""
    query = (
        select(DigestItem, Publication)
        .join(Publication, Publication.id == DigestItem.publication_id)
        .where(DigestItem.digest_id == digest_id)
        .order_by(func.coalesce(DigestItem.country, "~"), DigestItem.position, DigestItem.id)
    )
    return [(item, publication) for item, publication in session.execute(query).all()]


def get_item(session: Session, digest_id: int, item_id: int) -> DigestItem | None:
    item = session.get(DigestItem, item_id)
    return item if item is not None and item.digest_id == digest_id else None


def max_position(session: Session, digest_id: int) -> int:
    found = session.scalar(
        select(func.max(DigestItem.position)).where(DigestItem.digest_id == digest_id)
    )
    return int(found or 0)


def main_texts(session: Session, publication_ids: Sequence[int]) -> dict[int, PublicationText]:
    if not publication_ids:
        return {}
    query = select(PublicationText).where(PublicationText.publication_id.in_(publication_ids))
    return {row.publication_id: row for row in session.scalars(query)}


def save_main_text(
    session: Session, publication_id: int, text: str | None, error: str | None
) -> None:
    """Record a detail-page fetch once, whatever its outcome (text or the reason there is none)."""
    row = session.get(PublicationText, publication_id)
    if row is None:
        row = PublicationText(publication_id=publication_id)
        session.add(row)
    row.main_text, row.error, row.fetched_at = text, error, utcnow()


def source_troubles(
    session: Session, since: datetime, until: datetime, failed_outcomes: Sequence[str]
) -> list[SourceTrouble]:
    """Sources with failed runs in [since, until), or failing, broken or stale now."""
    failed = dict(
        session.execute(
            select(CrawlRun.source_id, func.count())
            .where(
                CrawlRun.started_at >= since,
                CrawlRun.started_at < until,
                CrawlRun.outcome.in_(list(failed_outcomes)),
            )
            .group_by(CrawlRun.source_id)
        ).all()
    )
    query = select(Source).where(
        or_(
            Source.id.in_(list(failed)),
            and_(Source.state.in_(["failing", "broken", "stale"])),
        )
    )
    troubles = []
    for source in session.scalars(query.order_by(Source.id)):
        troubles.append(
            SourceTrouble(
                source.id, source.name, source.state, failed.get(source.id, 0), source.state_reason
            )
        )
    return troubles


def digest_outbox(session: Session, digest_id: int) -> list[AlertOutbox]:
    """The outbox rows a digest's publication or announcement queued, oldest first."""
    query = select(AlertOutbox).where(AlertOutbox.kind.in_(["digest", "digest_announcement"]))
    return [
        row
        for row in session.scalars(query.order_by(AlertOutbox.id))
        if (row.payload or {}).get("digest_id") == digest_id
    ]


def enqueue_digest_message(
    session: Session, kind: str, destination: str, payload: dict[str, object]
) -> None:
    """Queue one digest message in the outbox, in the caller's transaction."""
    session.add(AlertOutbox(kind=kind, destination=destination, payload=payload))
