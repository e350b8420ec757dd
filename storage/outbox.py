"""The ``alert_outbox`` table as the CLI and the crawl use it: ops alerts, listing, requeueing.

A publication's alert rows are written with it by :func:`storage.publications.store_publication`;
the delivery loop's own reads and claims are in ``crawler/alerts/`` (to move here with the
sinks work).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import AlertOutbox, Publication


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


def outbox_rows_of(session: Session, publication_id: int) -> list[AlertOutbox]:
    """The outbox rows of one publication, in the order they were queued."""
    return list(
        session.scalars(
            select(AlertOutbox)
            .where(AlertOutbox.publication_id == publication_id)
            .order_by(AlertOutbox.id)
        )
    )


def outbox_rows_with_titles(
    session: Session, statuses: Sequence[str]
) -> list[tuple[AlertOutbox, str | None]]:
    """Outbox rows in these statuses, oldest first, with their publication's title (None for
    an ops alert, which has no publication)."""
    found = session.execute(
        select(AlertOutbox, Publication.title)
        .outerjoin(Publication, Publication.id == AlertOutbox.publication_id)
        .where(AlertOutbox.status.in_(list(statuses)))
        .order_by(AlertOutbox.id)
    ).all()
    return [(row, title) for row, title in found]


def requeue_failed(session: Session, outbox_ids: Sequence[int] | None) -> int:
    """Set failed rows (these ids, or all when None) back to pending; how many changed."""
    statement = update(AlertOutbox).where(AlertOutbox.status == "failed")
    if outbox_ids:
        statement = statement.where(AlertOutbox.id.in_(list(outbox_ids)))
    result = session.execute(statement.values(status="pending", next_attempt_at=None))
    return int(result.rowcount)  # type: ignore[attr-defined]
