"""The dispatcher's ops notices in the outbox: is a sink's outage open, was a failure told.

The notices are ``alert_outbox`` rows of ``kind="ops"`` whose payload carries a ``state``
(``slack_down``, ``slack_up``, ``slack_failed``…) and, for a failure, a ``key`` naming what
failed; ``crawler/alerts/ops_notices.py`` decides when to write one, this module reads and
writes them. Reading the outbox rather than a memory of the process means a restart does not
repeat an alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import AlertOutbox


def outage_opened_at(engine: Engine, down: str, up: str) -> datetime | None:
    """When the newest ops notice in state ``down`` or ``up`` was queued, if it is a ``down``
    one (the outage it announced is still open); None otherwise."""
    state = AlertOutbox.payload["state"].as_string()
    with transaction(engine) as session:
        latest = session.scalars(
            select(AlertOutbox)
            .where(AlertOutbox.kind == "ops", state.in_([down, up]))
            .order_by(AlertOutbox.id.desc())
            .limit(1)
        ).first()
        if latest is not None and latest.payload.get("state") == down:
            return latest.created_at
    return None


def told_since(engine: Engine, key: str, since: datetime) -> bool:
    """Whether an ops notice with this ``key`` was queued at or after ``since``."""
    with transaction(engine) as session:
        recent = session.scalars(
            select(AlertOutbox).where(
                AlertOutbox.kind == "ops",
                AlertOutbox.created_at >= since,
                AlertOutbox.payload["key"].as_string() == key,
            )
        ).first()
    return recent is not None


def enqueue_notice(engine: Engine, destination: str, payload: dict[str, Any]) -> None:
    """Queue one ops notice for ``destination`` in its own transaction."""
    with transaction(engine) as session:
        session.add(AlertOutbox(kind="ops", destination=destination, payload=payload))
