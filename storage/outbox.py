"""The ``alert_outbox`` table: ops alerts, listing and requeueing (the CLI), and the
dispatcher's reads, claims and settlements (``crawler/alerts/outbox.py``).

A publication's alert rows are written with it by :func:`storage.publications.store_publication`;
the ops notices about delivery itself are in :mod:`storage.ops_notices`.

Many dispatchers may run at once (``govwatch run`` and ``govwatch alerts send``, or several
cluster processes). They never lock rows while they send: :func:`claim_rows` is a compare-and-set
on ``attempts`` (the value the dispatcher read), so of two dispatchers that read the same row
exactly one updates it, on PostgreSQL and SQLite alike, and the other backs off.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from storage.db import transaction
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


def pending_for_sink(
    engine: Engine, sink_name: str, limit: int
) -> tuple[list[AlertOutbox], dict[int, Publication]]:
    """A sink's pending rows (destination ``name`` or ``name:…``), oldest first, at most
    ``limit``, with the publications they alert about by id; read in one transaction and
    detached, so the dispatcher may read them while it sends."""
    with transaction(engine) as session:
        rows = list(
            session.scalars(
                select(AlertOutbox)
                .where(
                    AlertOutbox.status == "pending",
                    or_(
                        AlertOutbox.destination == sink_name,
                        AlertOutbox.destination.startswith(f"{sink_name}:"),
                    ),
                )
                .order_by(AlertOutbox.id)
                .limit(limit)
            )
        )
        publications: dict[int, Publication] = {}
        ids = {row.publication_id for row in rows if row.publication_id is not None}
        if ids:
            found = session.scalars(select(Publication).where(Publication.id.in_(ids)))
            publications = {publication.id: publication for publication in found}
    return rows, publications


def claim_rows(engine: Engine, seen: Sequence[tuple[int, int]], lease_until: datetime) -> bool:
    """Claim rows for one send: for each ``(id, attempts as read)``, ``attempts`` + 1 and a
    lease in ``next_attempt_at``, only if the row is still pending with that count. All or
    nothing in one transaction: False (and nothing changed) when another dispatcher got to
    any of them first."""
    with transaction(engine) as session:
        for outbox_id, attempts in seen:
            claimed = session.execute(
                update(AlertOutbox)
                .where(
                    AlertOutbox.id == outbox_id,
                    AlertOutbox.status == "pending",
                    AlertOutbox.attempts == attempts,
                )
                .values(attempts=attempts + 1, next_attempt_at=lease_until)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return False
    return True


def settle_rows(engine: Engine, outbox_ids: Sequence[int], **values: Any) -> None:
    """Record what became of these rows (status, message_ref, sent_at, last_error,
    next_attempt_at) in their own transaction."""
    with transaction(engine) as session:
        session.execute(
            update(AlertOutbox).where(AlertOutbox.id.in_(list(outbox_ids))).values(**values)
        )
