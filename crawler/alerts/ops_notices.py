"""Tell ops about delivery trouble: once per outage of a sink, once per broken destination.

The notices are outbox rows (``kind="ops"``) like the source-health alerts, so they are
kept and delivered by the same machinery. Where they go matters: "Slack is down" cannot be
posted to Slack, so an outage notice goes to the console (the daemon's log stream); "Slack
is back" and "channel X rejects the bot" go to the ops destination (``ops_destination``),
unless that is the very destination that is broken. Whether a sink's outage is open is read
from the outbox itself (the newest ``<sink>_down`` / ``<sink>_up`` notice), so a restart
does not repeat the alert.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine

from crawler.alerts.router import CONSOLE, ops_destination
from crawler.alerts.sinks.base import Sink, SinkError, scope_of
from crawler.app_config import AppConfig
from crawler.errors import DeliveryError
from storage.models import utcnow
from storage.ops_notices import enqueue_notice, outage_opened_at, told_since

logger = logging.getLogger(__name__)

REPEAT_AFTER = timedelta(hours=24)


def down_state(sink_name: str) -> str:
    """``slack_down``: the ops-row state that opens an outage of this sink."""
    return f"{sink_name}_down"


def up_state(sink_name: str) -> str:
    return f"{sink_name}_up"


def failed_state(sink_name: str) -> str:
    return f"{sink_name}_failed"


class OpsNotices:
    """The ops side of one sink's dispatch pass."""

    def __init__(self, engine: Engine, config: AppConfig, sink: Sink) -> None:
        self.engine = engine
        self.config = config
        self.sink = sink
        self.outage_since: datetime | None = self._open_outage()

    def _open_outage(self) -> datetime | None:
        return outage_opened_at(self.engine, down_state(self.sink.name), up_state(self.sink.name))

    def unreachable(self, error: DeliveryError, pending: int) -> None:
        """The first failure of an outage: one notice, on the console (the sink is the
        problem)."""
        if self.outage_since is not None:
            return
        self.outage_since = utcnow()
        text = (
            f"{self.sink.label} is not answering ({error.reason}). {pending} alert(s) are "
            "queued in the outbox and will go out in order when it answers again; nothing "
            "is lost."
        )
        state = down_state(self.sink.name)
        logger.error("%s unreachable; alerts queued", self.sink.label, extra={"state": state})
        self._enqueue(text, state, CONSOLE)

    def answered(self) -> None:
        """A delivery went through after an outage: say so where ops read the news."""
        if self.outage_since is None:
            return
        minutes = max(int((utcnow() - self.outage_since).total_seconds() // 60), 0)
        text = (
            f"{self.sink.label} answers again after about {minutes} min; queued alerts are "
            "going out."
        )
        state = up_state(self.sink.name)
        logger.warning("%s reachable again", self.sink.label, extra={"state": state})
        self._enqueue(text, state, ops_destination(self.config))
        self.outage_since = None

    def delivery_failed(self, destination: str, error: DeliveryError, rows: int) -> None:
        """A permanent failure: rows marked failed; ops told (once a day per reason)."""
        channel = destination.partition(":")[2] or destination
        state = failed_state(self.sink.name)
        text = (
            f"{rows} alert(s) to {channel} failed: {error.reason}. Fix it, then run "
            "`govwatch alerts retry`."
        )
        logger.error(
            "Alerts to %s failed permanently: %s",
            channel,
            error.reason,
            extra={"destination": destination, "state": state},
        )
        target = ops_destination(self.config)
        if scope_of(error) == "auth" or target == destination:
            target = CONSOLE  # the broken path cannot carry news of itself
        code = error.code if isinstance(error, SinkError) else "failed"
        key = f"{channel}: {code}"
        if target == destination or self._told_recently(key):
            return  # the console cannot carry news of the console
        self._enqueue(text, state, target, key=key)

    def _told_recently(self, key: str) -> bool:
        return told_since(self.engine, key, utcnow() - REPEAT_AFTER)

    def _enqueue(self, text: str, state: str, destination: str, key: str | None = None) -> None:
        """An ops row shaped like the source-health ones ({text, source_id, state}); ``key``
        lets a repeated failure be recognised without comparing texts."""
        payload = {"text": text, "source_id": None, "state": state}
        if key is not None:
            payload["key"] = key
        enqueue_notice(self.engine, destination, payload)
