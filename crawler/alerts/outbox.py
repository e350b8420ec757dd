"""The one outbox dispatcher: pending rows → their sink, in order, paced, exactly once.

Every sink (crawler/alerts/sinks/) gets the same treatment; a sink only renders and sends.

- **Which rows.** A row's destination names its sink (``slack:#policy`` → ``slack``). Each
  enabled sink takes its pending rows, oldest first, grouped by destination.
- **Order.** For a sink that ``keeps_order`` (a channel is a conversation), a destination
  whose oldest pending row is waiting (backoff after an error, or claimed by another
  dispatcher) sends nothing else, so an outage delays alerts but never reorders them. For
  the others (the console) each due row goes on its own.
- **Pace.** At most one message per ``sink.pace`` per destination; destinations take turns,
  so one busy channel does not hold the others up.
- **Bursts.** More than ``slack.burst_threshold`` rows of one source for one destination
  become one summary (burst.py, ``sink.deliver_burst``).
- **Exactly once.** Before sending, a unit's rows are *claimed* in their own transaction:
  ``attempts`` + 1 and a lease in ``next_attempt_at``. A row with ``attempts > 0`` may have
  been sent by a run that died before recording it, so the sink is asked first
  (``already_delivered``); a message it finds is recorded instead of sent again. Sinks that
  cannot look (console, Apprise) answer nothing, and such a row is sent again.
- **Failures.** A :class:`DeliveryError` that is transient keeps the rows pending with the
  reason and a backoff (:func:`backoff`); for a sink whose destinations share one service
  (``shared_service``: Slack) the rest of that sink waits too and ops are told once per
  outage. A permanent one marks the rows failed with the reason and tells ops; its
  ``scope`` says what else to hold back (``auth``: the sink, ``channel``: the destination).
- **Surprises.** Any other exception (a bug, a closed stream, a malformed row) is logged in
  one line and counted (``DispatchReport.errors``); the rows stay pending with the error as
  ``last_error`` and a backoff, and the pass goes on (an ordered destination waits behind
  them). Each row is settled in its own transaction, so a crash loses at most the knowledge
  that one message was sent, never the row.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import Engine

from crawler.alerts.burst import Unit, newest_first, plan_units
from crawler.alerts.message import alert_message
from crawler.alerts.ops_notices import OpsNotices
from crawler.alerts.sinks.base import Alert, Burst, OpsNotice, Sink, SinkError, scope_of
from crawler.alerts.sinks.registry import split_destination
from crawler.app_config import AppConfig, SlackSettings
from crawler.errors import DeliveryError
from crawler.logs import redact
from storage.models import AlertOutbox, Publication, utcnow
from storage.outbox import claim_rows, pending_for_sink, settle_rows

logger = logging.getLogger(__name__)
BATCH = 2000
NO_BURSTS = 1_000_000_000
Next = Literal["next", "drop_destination", "stop"]


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


def backoff(settings: SlackSettings, attempts: int) -> timedelta:
    """The one retry formula: ``retry_backoff`` doubled per attempt, up to ``max_retry_backoff``
    (30 s, 1 min, 2 min … 5 min by default)."""
    wait: timedelta = settings.retry_backoff * 2 ** max(attempts - 1, 0)
    return min(wait, settings.max_retry_backoff)


class Pacer:
    """Keeps each destination to one message per interval (Slack allows about one a second)."""

    def __init__(
        self,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sleep = sleep
        self.clock = clock
        self.last: dict[str, float] = {}

    def wait(self, destination: str, interval: timedelta) -> None:
        if destination in self.last:
            remaining = self.last[destination] + interval.total_seconds() - self.clock()
            if remaining > 0:
                self.sleep(remaining)

    def mark(self, destination: str) -> None:
        self.last[destination] = self.clock()


def dispatch(
    engine: Engine, config: AppConfig, sinks: list[Sink], *, bursts: bool = True
) -> DispatchReport:
    """One pass over the due rows of each sink, in the order given. One sink's unexpected
    exception is logged in one line and counted, and the next sink still runs."""
    total = DispatchReport()
    for sink in sinks:
        try:
            report = SinkPass(engine, config, sink, bursts=bursts).run()
        except Exception as exc:  # survived on purpose: see the module doc
            logger.error("Delivery to %s stopped for this pass: %s", sink.name, unexpected(exc))
            report = DispatchReport(errors=1)
        total.add(report)
    return total


def dispatch_pending(
    engine: Engine, sink: Sink, burst_threshold: int | None = None
) -> DispatchReport:
    """Drain one sink under the default settings (the demo, tests); bursts only with a
    ``burst_threshold``."""
    settings: dict[str, Any] = (
        {} if burst_threshold is None else {"burst_threshold": burst_threshold}
    )
    config = AppConfig.model_validate({"slack": settings})
    return dispatch(engine, config, [sink], bursts=burst_threshold is not None)


class SinkPass:
    """One pass over one sink's due rows. Build a new one per pass."""

    def __init__(self, engine: Engine, config: AppConfig, sink: Sink, *, bursts: bool = True):
        self.engine = engine
        self.settings = config.slack
        self.web_base_url = config.web.base_url  # links each alert to its page in govwatch web
        self.sink = sink
        self.threshold = self.settings.burst_threshold if bursts else NO_BURSTS
        self.ops = OpsNotices(engine, config, sink)
        self.pacer = Pacer()
        self.report = DispatchReport()
        self.publications: dict[int, Publication] = {}

    def run(self) -> DispatchReport:
        rows = self._load()
        queues: dict[str, deque[Unit]] = {}
        for destination, destination_rows in self._due(rows).items():
            try:
                remaining = self._skip_already_delivered(destination, destination_rows)
            except DeliveryError as exc:
                unsure = [row for row in destination_rows if row.attempts > 0][:1]
                if self._failed(destination, unsure, exc, len(rows)) == "stop":
                    return self.report
                continue
            except Exception as exc:  # survived on purpose: see the module doc
                self._unexpected(destination, destination_rows[:1], exc)
                continue
            units = plan_units(remaining, self.publications, self.threshold)
            if units:
                queues[destination] = deque(units)
        while queues:  # destinations take turns, one message each
            for destination in list(queues):
                outcome = self._send(destination, queues[destination].popleft(), len(rows))
                if outcome == "stop":
                    return self.report
                if outcome == "drop_destination" and self.sink.keeps_order:
                    queues.pop(destination)  # it waits, in order; the others go on
                elif not queues[destination]:
                    queues.pop(destination)
        if self.report.sent or self.report.failed:
            logger.info(
                "Delivered %d %s alerts (%d waiting, %d failed)",
                self.report.sent,
                self.sink.name,
                self.report.retrying,
                self.report.failed,
            )
        return self.report

    def _load(self) -> list[AlertOutbox]:
        rows, self.publications = pending_for_sink(self.engine, self.sink.name, BATCH)
        return rows

    def _due(self, rows: list[AlertOutbox]) -> dict[str, list[AlertOutbox]]:
        """Rows by destination. Ordered sinks: only destinations whose oldest row is due.
        The others: only the rows that are due."""
        now = utcnow()

        def due(row: AlertOutbox) -> bool:
            return row.next_attempt_at is None or row.next_attempt_at <= now

        by_destination: dict[str, list[AlertOutbox]] = {}
        for row in rows:
            if self.sink.keeps_order or due(row):
                by_destination.setdefault(row.destination, []).append(row)
        return {
            destination: destination_rows
            for destination, destination_rows in by_destination.items()
            if due(destination_rows[0])
        }

    def _skip_already_delivered(
        self, destination: str, rows: list[AlertOutbox]
    ) -> list[AlertOutbox]:
        """Record rows an interrupted run already sent; return the ones still to send."""
        unsure = [row for row in rows if row.attempts > 0]
        if not unsure:
            return rows
        target = split_destination(destination)[1]
        since = min(row.created_at for row in unsure)
        found = self.sink.already_delivered(target, [row.id for row in unsure], since)
        done = [row for row in unsure if row.id in found]
        for row in done:
            logger.warning(
                "Alert %s was already delivered to %s by an interrupted run; recorded, not re-sent",
                row.id,
                destination,
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
            return "drop_destination"

    def _unexpected(self, destination: str, rows: list[AlertOutbox], exc: Exception) -> None:
        """Keep the rows pending with the error and a backoff; one log line; counted."""
        self.report.errors += 1
        self._retry_later(destination, rows, unexpected(exc), logging.ERROR)

    def _retry_later(
        self, destination: str, rows: list[AlertOutbox], reason: str, level: int
    ) -> None:
        """Keep the rows pending with ``reason`` and the next backoff; one log line."""
        wait = backoff(self.settings, max((row.attempts for row in rows), default=1))
        _settle(self.engine, rows, last_error=reason, next_attempt_at=utcnow() + wait)
        self.report.retrying += len(rows)
        logger.log(
            level,
            "Alerts to %s not delivered, retrying in %s: %s",
            destination,
            wait,
            reason,
            extra={"outbox_id": rows[0].id if rows else None, "destination": destination},
        )

    def _send_unit(self, destination: str, unit: Unit, pending: int) -> Next:
        if not self._claim(unit.rows):
            return "drop_destination"  # another dispatcher holds this destination's head row
        try:
            self.pacer.wait(destination, self.sink.pace)
            try:
                if unit.burst_source is None:
                    result = self.sink.deliver(self._alert(destination, unit.rows[0]))
                else:
                    result = self.sink.deliver_burst(self._burst(destination, unit))
            finally:
                self.pacer.mark(destination)
        except DeliveryError as exc:
            return self._failed(destination, unit.rows, exc, pending)
        _settle(
            self.engine,
            unit.rows,
            status="sent",
            message_ref=result.ref,
            sent_at=utcnow(),
            last_error=None,
        )
        self.report.sent += len(unit.rows)
        self.ops.answered()
        return "next"

    def _alert(self, destination: str, row: AlertOutbox) -> Alert:
        """What the sink shows for one row: the publication view, or the ops notice."""
        target = split_destination(destination)[1]
        view, notice = None, None
        if row.kind == "publication":
            publication = self.publications.get(row.publication_id or -1)
            if publication is None:
                raise SinkError(
                    "publication_missing",
                    f"publication_missing: publication {row.publication_id} is gone",
                    "message",
                )
            view = alert_message(publication, web_base_url=self.web_base_url)
        else:
            data = row.payload or {}
            notice = OpsNotice(
                str(data.get("text", "")),
                data.get("source_id"),
                data.get("state"),
                tuple(data.get("blocks") or ()),
                data.get("title"),
                data.get("html"),
            )
        return Alert(row.id, destination, target, row.kind, row.publication_id, view, notice)

    def _burst(self, destination: str, unit: Unit) -> Burst:
        return Burst(
            destination=destination,
            target=split_destination(destination)[1],
            source_id=str(unit.burst_source),
            total=len(unit.rows),
            outbox_ids=[row.id for row in unit.rows],
            newest_first=[
                alert_message(p, web_base_url=self.web_base_url)
                for p in newest_first(unit, self.publications)
            ],
        )

    def _claim(self, rows: list[AlertOutbox]) -> bool:
        """attempts + 1 and a lease, only if no one else changed the rows since we read them."""
        lease_until = utcnow() + self.settings.claim_timeout
        if not claim_rows(self.engine, [(row.id, row.attempts) for row in rows], lease_until):
            return False
        for row in rows:
            row.attempts += 1
        return True

    def _failed(
        self, destination: str, rows: list[AlertOutbox], exc: DeliveryError, pending: int
    ) -> Next:
        scope = scope_of(exc)
        if scope == "transient":
            self._retry_later(destination, rows, exc.reason, logging.WARNING)
            retry_after = isinstance(exc, SinkError) and exc.retry_after is not None
            rate_limited = isinstance(exc, SinkError) and exc.code == "ratelimited"
            if retry_after or rate_limited or not self.sink.shared_service:
                return "drop_destination"  # a limit or fault of this destination only
            self.ops.unreachable(exc, pending)
            return "stop"
        _settle(self.engine, rows, status="failed", last_error=exc.reason)
        self.report.failed += len(rows)
        self.ops.delivery_failed(destination, exc, len(rows))
        if scope == "auth":
            return "stop"
        return "drop_destination" if scope == "channel" else "next"


def _settle(engine: Engine, rows: list[AlertOutbox], **values: Any) -> None:
    settle_rows(engine, [row.id for row in rows], **values)
