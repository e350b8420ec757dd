"""Tell ops about Slack delivery trouble: once per outage, once per broken channel.

The notices are outbox rows (``kind="ops"``) like the source-health alerts, so they are
kept and delivered by the same machinery. Where they go matters: "Slack is down" cannot be
posted to Slack, so it goes to the console (the daemon's log stream); "Slack is back" and
"channel X rejects the bot" go to the ops destination (``ops_destination``), unless that is
the very channel that is broken. Whether an outage is open is read from the outbox itself
(the newest ``slack_down`` / ``slack_up`` notice), so a restart does not repeat the alert.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from crawler.alerts.router import CONSOLE, ops_destination
from crawler.alerts.slack import SlackError
from crawler.app_config import AppConfig
from storage.db import transaction
from storage.models import AlertOutbox, utcnow

logger = logging.getLogger(__name__)

SLACK_DOWN = "slack_down"
SLACK_UP = "slack_up"
SLACK_FAILED = "slack_failed"
REPEAT_AFTER = timedelta(hours=24)


class OpsNotices:
    """The ops side of one Slack dispatch pass."""

    def __init__(self, engine: Engine, config: AppConfig) -> None:
        self.engine = engine
        self.config = config
        self.outage_since: datetime | None = self._open_outage()

    def _open_outage(self) -> datetime | None:
        state = AlertOutbox.payload["state"].as_string()
        with transaction(self.engine) as session:
            latest = session.scalars(
                select(AlertOutbox)
                .where(AlertOutbox.kind == "ops", state.in_([SLACK_DOWN, SLACK_UP]))
                .order_by(AlertOutbox.id.desc())
                .limit(1)
            ).first()
        if latest is not None and latest.payload.get("state") == SLACK_DOWN:
            return latest.created_at
        return None

    def slack_unreachable(self, error: SlackError, pending: int) -> None:
        """The first failure of an outage: one notice, on the console (Slack is the problem)."""
        if self.outage_since is not None:
            return
        self.outage_since = utcnow()
        text = (
            f"Slack is not answering ({error.reason}). {pending} alert(s) are queued in the "
            "outbox and will go out in order when it answers again; nothing is lost."
        )
        logger.error("Slack unreachable; alerts queued", extra={"state": SLACK_DOWN})
        self._enqueue(text, SLACK_DOWN, CONSOLE)

    def slack_answered(self) -> None:
        """A post went through after an outage: say so where ops read Slack news."""
        if self.outage_since is None:
            return
        minutes = max(int((utcnow() - self.outage_since).total_seconds() // 60), 0)
        text = f"Slack answers again after about {minutes} min; queued alerts are going out."
        logger.warning("Slack reachable again", extra={"state": SLACK_UP})
        self._enqueue(text, SLACK_UP, ops_destination(self.config))
        self.outage_since = None

    def delivery_failed(self, destination: str, error: SlackError, rows: int) -> None:
        """A permanent failure: rows marked failed; ops told (once a day per reason)."""
        channel = destination.removeprefix("slack:")
        text = (
            f"{rows} alert(s) to {channel} failed: {error.reason}. Fix it, then run "
            "`govwatch alerts retry`."
        )
        logger.error(
            "Alerts to %s failed permanently: %s",
            channel,
            error.reason,
            extra={"destination": destination, "state": SLACK_FAILED},
        )
        target = ops_destination(self.config)
        if error.scope == "auth" or target == destination:
            target = CONSOLE  # the broken path cannot carry news of itself
        key = f"{channel}: {error.code}"
        if self._told_recently(key):
            return
        self._enqueue(text, SLACK_FAILED, target, key=key)

    def _told_recently(self, key: str) -> bool:
        since = utcnow() - REPEAT_AFTER
        with transaction(self.engine) as session:
            recent = session.scalars(
                select(AlertOutbox).where(
                    AlertOutbox.kind == "ops",
                    AlertOutbox.created_at >= since,
                    AlertOutbox.payload["key"].as_string() == key,
                )
            ).first()
        return recent is not None

    def _enqueue(self, text: str, state: str, destination: str, key: str | None = None) -> None:
        """An ops row shaped like the source-health ones ({text, source_id, state}); ``key``
        lets a repeated failure be recognised without comparing texts."""
        payload = {"text": text, "source_id": None, "state": state}
        if key is not None:
            payload["key"] = key
        with transaction(self.engine) as session:
            session.add(AlertOutbox(kind="ops", destination=destination, payload=payload))
