"""Drain the Slack rows of the outbox: in order per channel, paced, summarised, exactly once.

The generic :func:`crawler.alerts.outbox.dispatch_pending` sends row by row; Slack needs
more, so its rows take this path (``dispatch_all`` picks it):

- **Order.** Rows go out per channel in outbox order. A channel whose oldest pending row
  is waiting (backoff after an error, or claimed by another dispatcher) sends nothing
  else, so a Slack outage delays alerts but never reorders them.
- **Pace.** At most one message per ``slack.per_channel_interval`` per channel; channels
  take turns, so one busy channel does not hold the others up.
- **Bursts.** More than ``slack.burst_threshold`` rows of one source for one channel become
  one summary (burst.py).
- **Exactly once.** Before posting, a unit's rows are *claimed* in their own transaction:
  ``attempts`` + 1 and a lease in ``next_attempt_at``. A row with ``attempts > 0`` may have
  been posted by a run that died before recording it, so the channel's history is read for
  the row's metadata first, and a message found there is recorded instead of posting again.
- **Failures.** Transient: the rows stay pending with the error and a backoff, ops are told
  once per outage. Permanent: the rows are marked failed with the reason, ops are told,
  and other channels go on (a bad token stops the pass: no channel could work).
- **Surprises.** Any other exception (a bug, a malformed row) is logged in one line and
  counted (``DispatchReport.errors``); the unit's rows stay pending with the error and a
  backoff, that channel waits (order is kept), and the other channels go on.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import Engine, select, update

from crawler.alerts.blocks import SlackPayload, burst_payload
from crawler.alerts.burst import Unit, newest_first, plan_units
from crawler.alerts.outbox import DispatchReport, unexpected
from crawler.alerts.slack import (
    EVENT_BURST,
    SLACK_PREFIX,
    SlackError,
    SlackSink,
    metadata_for,
    payload_for,
)
from crawler.alerts.slack_ops import OpsNotices
from crawler.app_config import AppConfig
from storage.db import transaction
from storage.models import AlertOutbox, Publication, utcnow

logger = logging.getLogger(__name__)
BATCH = 2000
Next = Literal["next", "drop_channel", "stop"]


class Pacer:
    """Keeps each channel to one message per interval (Slack allows about one per second)."""

    def __init__(
        self,
        interval: timedelta,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval.total_seconds()
        self.sleep = sleep
        self.clock = clock
        self.last: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        if channel in self.last:
            remaining = self.last[channel] + self.interval - self.clock()
            if remaining > 0:
                self.sleep(remaining)

    def mark(self, channel: str) -> None:
        self.last[channel] = self.clock()


class SlackDispatcher:
    """One pass over the due Slack rows. Build a new one per pass."""

    def __init__(self, engine: Engine, config: AppConfig, sink: SlackSink) -> None:
        self.engine = engine
        self.settings = config.slack
        self.sink = sink
        self.ops = OpsNotices(engine, config)
        self.pacer = Pacer(self.settings.per_channel_interval)
        self.report = DispatchReport()
        self.publications: dict[int, Publication] = {}

    def run(self) -> DispatchReport:
        rows = self._load()
        queues: dict[str, deque[Unit]] = {}
        for destination, channel_rows in _due_channels(rows).items():
            try:
                remaining = self._skip_already_posted(destination, channel_rows)
            except SlackError as exc:
                unsure = [row for row in channel_rows if row.attempts > 0][:1]
                if self._failed(destination, unsure, exc, len(rows)) == "stop":
                    return self.report
                continue
            except Exception as exc:  # survived on purpose: see the module doc
                self._unexpected(destination, channel_rows[:1], exc)
                continue
            units = plan_units(remaining, self.publications, self.settings.burst_threshold)
            if units:
                queues[destination] = deque(units)
        while queues:  # channels take turns, one message each
            for destination in list(queues):
                outcome = self._send(destination, queues[destination].popleft(), len(rows))
                if outcome == "stop":
                    return self.report
                if outcome == "drop_channel" or not queues[destination]:
                    queues.pop(destination)
        if self.report.sent or self.report.failed:
            logger.info(
                "Delivered %d Slack alerts (%d waiting, %d failed)",
                self.report.sent,
                self.report.retrying,
                self.report.failed,
            )
        return self.report

    def _load(self) -> list[AlertOutbox]:
        with transaction(self.engine) as session:
            rows = list(
                session.scalars(
                    select(AlertOutbox)
                    .where(
                        AlertOutbox.status == "pending",
                        AlertOutbox.destination.startswith(SLACK_PREFIX),
                    )
                    .order_by(AlertOutbox.id)
                    .limit(BATCH)
                )
            )
            ids = {row.publication_id for row in rows if row.publication_id is not None}
            if ids:
                found = session.scalars(select(Publication).where(Publication.id.in_(ids)))
                self.publications = {publication.id: publication for publication in found}
        return rows

    def _skip_already_posted(self, destination: str, rows: list[AlertOutbox]) -> list[AlertOutbox]:
        """Record rows an interrupted run already posted; return the ones still to send."""
        unsure = [row for row in rows if row.attempts > 0]
        if not unsure:
            return rows
        channel = destination.removeprefix(SLACK_PREFIX)
        found = self.sink.find_posted(channel, min(row.created_at for row in unsure))
        done = [row for row in unsure if row.id in found]
        for row in done:
            logger.warning(
                "Alert %s was already posted to %s by an interrupted run; recorded, not re-sent",
                row.id,
                channel,
                extra={"outbox_id": row.id, "destination": destination},
            )
            _settle(self.engine, [row], status="sent", message_ref=found[row.id], sent_at=utcnow())
            self.report.sent += 1
        return [row for row in rows if row not in done]

    def _send(self, destination: str, unit: Unit, pending: int) -> Next:
        try:
            return self._send_unit(destination, unit, pending)
        except Exception as exc:  # survived on purpose: see the module doc
            self._unexpected(destination, unit.rows, exc)
            return "drop_channel"  # this channel waits, in order; the others go on

    def _unexpected(self, destination: str, rows: list[AlertOutbox], exc: Exception) -> None:
        """Keep the rows pending with the error and a backoff; one log line; counted."""
        reason = unexpected(exc)
        attempts = max((row.attempts for row in rows), default=1)
        wait = self.settings.retry_backoff * 2 ** max(attempts - 1, 0)
        wait = min(wait, self.settings.max_retry_backoff)
        _settle(self.engine, rows, last_error=reason, next_attempt_at=utcnow() + wait)
        self.report.retrying += len(rows)
        self.report.errors += 1
        logger.error(
            "Alerts to %s not delivered, retrying in %s: %s",
            destination,
            wait,
            reason,
            extra={"outbox_id": rows[0].id if rows else None, "destination": destination},
        )

    def _send_unit(self, destination: str, unit: Unit, pending: int) -> Next:
        if not self._claim(unit.rows):
            return "drop_channel"  # another dispatcher holds this channel's head row
        channel = destination.removeprefix(SLACK_PREFIX)
        try:
            payload, metadata = self._message(unit)
            self.pacer.wait(channel)
            try:
                posted = self.sink.post(channel, payload, metadata)
            finally:
                self.pacer.mark(channel)
        except SlackError as exc:
            return self._failed(destination, unit.rows, exc, pending)
        _settle(
            self.engine,
            unit.rows,
            status="sent",
            message_ref=posted.ref,
            sent_at=utcnow(),
            last_error=None,
        )
        self.report.sent += len(unit.rows)
        self.ops.slack_answered()
        return "next"

    def _message(self, unit: Unit) -> tuple[SlackPayload, dict[str, Any]]:
        if unit.burst_source is None:
            row = unit.rows[0]
            return payload_for(row, self.publications.get(row.publication_id or -1)), (
                metadata_for(row)
            )
        listed = newest_first(unit, self.publications)
        payload = burst_payload(
            unit.burst_source, listed, len(unit.rows), self.settings.burst_listed
        )
        metadata = {
            "event_type": EVENT_BURST,
            "event_payload": {
                "source_id": unit.burst_source,
                "count": len(unit.rows),
                "outbox_ids": [row.id for row in unit.rows],
            },
        }
        return payload, metadata

    def _claim(self, rows: list[AlertOutbox]) -> bool:
        """attempts + 1 and a lease, only if no one else changed the rows since we read them."""
        lease_until = utcnow() + self.settings.claim_timeout
        with transaction(self.engine) as session:
            for row in rows:
                claimed = session.execute(
                    update(AlertOutbox)
                    .where(
                        AlertOutbox.id == row.id,
                        AlertOutbox.status == "pending",
                        AlertOutbox.attempts == row.attempts,
                    )
                    .values(attempts=row.attempts + 1, next_attempt_at=lease_until)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    session.rollback()
                    return False
        for row in rows:
            row.attempts += 1
        return True

    def _failed(
        self, destination: str, rows: list[AlertOutbox], exc: SlackError, pending: int
    ) -> Next:
        if not exc.permanent:
            attempts = max(row.attempts for row in rows)
            wait = self.settings.retry_backoff * 2 ** max(attempts - 1, 0)
            wait = min(wait, self.settings.max_retry_backoff)
            _settle(self.engine, rows, last_error=exc.reason, next_attempt_at=utcnow() + wait)
            self.report.retrying += len(rows)
            logger.warning(
                "Alerts to %s not delivered, retrying in %s: %s",
                destination,
                wait,
                exc.reason,
                extra={"outbox_id": rows[0].id, "destination": destination},
            )
            if exc.code == "ratelimited":
                return "drop_channel"  # a limit on this channel; the others may go on
            self.ops.slack_unreachable(exc, pending)
            return "stop"
        _settle(self.engine, rows, status="failed", last_error=exc.reason)
        self.report.failed += len(rows)
        self.ops.delivery_failed(destination, exc, len(rows))
        if exc.scope == "auth":
            return "stop"
        return "drop_channel" if exc.scope == "channel" else "next"


def _due_channels(rows: list[AlertOutbox]) -> dict[str, list[AlertOutbox]]:
    """Rows by destination, keeping only channels whose oldest pending row is due now."""
    now = utcnow()
    channels: dict[str, list[AlertOutbox]] = {}
    for row in rows:
        channels.setdefault(row.destination, []).append(row)
    return {
        destination: channel_rows
        for destination, channel_rows in channels.items()
        if channel_rows[0].next_attempt_at is None or channel_rows[0].next_attempt_at <= now
    }


def _settle(engine: Engine, rows: list[AlertOutbox], **values: Any) -> None:
    with transaction(engine) as session:
        session.execute(
            update(AlertOutbox).where(AlertOutbox.id.in_([row.id for row in rows])).values(**values)
        )
