"""Deliver pending outbox rows to their sinks, oldest first; never lose one.

A row stays ``pending`` until a sink confirms delivery. A transient failure keeps it
pending with the error, an attempt count and a later ``next_attempt_at`` (exponential
backoff); a permanent failure (e.g. an unknown channel) marks it ``failed`` with the
reason, for ``govwatch alerts retry``. Each row is settled in its own transaction, so a
crash loses at most the knowledge that one row was sent, never the row.

A sink that raises something other than :class:`DeliveryError` has a bug or met a fault no
one foresaw (a closed stream, a malformed row). That must not stop delivery: the error is
logged in one line, counted in ``DispatchReport.errors``, the row stays pending with the
error as its ``last_error`` and a backoff, and the other rows go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Engine, or_, select

from crawler.alerts.burst import newest_first, plan_units
from crawler.errors import DeliveryError
from crawler.logs import redact
from storage.db import transaction
from storage.models import AlertOutbox, Publication, utcnow

logger = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=1)


class Sink(Protocol):
    """Something that shows alerts: the console, a Slack workspace."""

    prefix: str

    def deliver(self, row: AlertOutbox, publication: Publication | None) -> str | None:
        """Deliver one alert and return a reference to it (e.g. a Slack ts), or raise
        :class:`DeliveryError`."""
        ...


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: int = 0  # unexpected exceptions survived (their rows are among ``retrying``)

    def add(self, other: DispatchReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.errors += other.errors


def unexpected(exc: BaseException) -> str:
    """One line for an exception nobody planned for: its type and message, no traceback."""
    text = " ".join(str(exc).split()) or "(no message)"
    return redact(f"unexpected {type(exc).__name__}: {text}")[:500]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … up to an hour between attempts."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def due_rows(engine: Engine, prefix: str, limit: int = 500) -> list[AlertOutbox]:
    now = utcnow()
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(AlertOutbox)
                .where(
                    AlertOutbox.status == "pending",
                    AlertOutbox.destination.startswith(prefix),
                    or_(AlertOutbox.next_attempt_at.is_(None), AlertOutbox.next_attempt_at <= now),
                )
                .order_by(AlertOutbox.id)
                .limit(limit)
            )
        )


def dispatch_pending(
    engine: Engine, sink: Sink, burst_threshold: int | None = None
) -> DispatchReport:
    """Send every due row of this sink once; return how many went, wait or failed.

    With ``burst_threshold``, a sink that can summarise (``deliver_burst``) gets one
    summary for more than that many new items of one source instead of one block each.
    """
    report = DispatchReport()
    rows = due_rows(engine, sink.prefix)
    summarise = getattr(sink, "deliver_burst", None)
    if burst_threshold is not None and summarise is not None:
        rows = _summarise_bursts(engine, rows, burst_threshold, summarise, report)
    for row in rows:
        with transaction(engine) as session:
            publication = (
                session.get(Publication, row.publication_id) if row.publication_id else None
            )
        try:
            reference = sink.deliver(row, publication)
        except DeliveryError as exc:
            _settle_failure(engine, row.id, exc)
            if exc.permanent:
                report.failed += 1
            else:
                report.retrying += 1
            continue  # the row is recorded as failed or retrying; the others still go
        except Exception as exc:  # survived on purpose: see the module doc
            _settle_failure(engine, row.id, DeliveryError(unexpected(exc)))
            report.retrying += 1
            report.errors += 1
            continue
        _settle_sent(engine, row.id, reference)
        report.sent += 1
    return report


def _settle_sent(engine: Engine, row_id: int, reference: str | None) -> None:
    with transaction(engine) as session:
        row = session.get_one(AlertOutbox, row_id)
        row.status = "sent"
        row.sent_at = utcnow()
        row.attempts += 1
        row.message_ref = reference
        row.last_error = None


def _settle_failure(engine: Engine, row_id: int, exc: DeliveryError) -> None:
    with transaction(engine) as session:
        row = session.get_one(AlertOutbox, row_id)
        row.attempts += 1
        row.last_error = exc.reason
        if exc.permanent:
            row.status = "failed"
        else:
            row.next_attempt_at = utcnow() + backoff(row.attempts)
    logger.warning(
        "Alert %s to %s not delivered (%s): %s",
        row_id,
        row.destination,
        "permanent" if exc.permanent else f"retry after attempt {row.attempts}",
        exc.reason,
        extra={"outbox_id": row_id},
    )


def _summarise_bursts(
    engine: Engine,
    rows: list[AlertOutbox],
    threshold: int,
    summarise: Callable[[str, list[Publication]], None],
    report: DispatchReport,
) -> list[AlertOutbox]:
    """Deliver the bursts among ``rows`` as summaries; return the rows still to send."""
    with transaction(engine) as session:
        ids = [row.publication_id for row in rows if row.publication_id is not None]
        found = session.scalars(select(Publication).where(Publication.id.in_(ids))).all()
    publications = {publication.id: publication for publication in found}
    single: list[AlertOutbox] = []
    for unit in plan_units(rows, publications, threshold):
        if unit.burst_source is None:
            single.extend(unit.rows)
            continue  # an ordinary alert: delivered one by one below
        summarise(unit.burst_source, newest_first(unit, publications))
        for row in unit.rows:
            _settle_sent(engine, row.id, None)
        report.sent += len(unit.rows)
    return single
