"""The ``scheduler_leases`` table: which process holds the scheduler lock, its heartbeat and
its last reload result."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, text, update
from sqlalchemy.orm import Session

from storage.models import SchedulerLease, utcnow
from storage.upsert import dialect_insert


def write_lease(session: Session, name: str, *, hostname: str, pid: int) -> None:
    """Record this process as the holder of the scheduler lock ``name``."""
    now = utcnow()
    values = {
        "hostname": hostname,
        "pid": pid,
        "started_at": now,
        "heartbeat_at": now,
        "stopped_at": None,
        "reloaded_at": None,
        "reload_message": None,
    }
    statement = dialect_insert(session, SchedulerLease).values(name=name, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))


def read_lease(session: Session, name: str) -> SchedulerLease | None:
    """The scheduler lease row ``name``, or None when no scheduler ever ran here."""
    return session.get(SchedulerLease, name)


def touch_lease(session: Session, name: str, pid: int, **values: Any) -> None:
    """Update the holder's row (heartbeat, reload result, stop time) if it is still ours."""
    session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.pid == pid)
        .values(**values)
    )


def try_advisory_lock(connection: Connection) -> bool:
    """Take PostgreSQL's session-level advisory lock of the scheduler for this schema.

    The key is derived from the schema name, so two govwatch databases sharing one server
    in different schemas do not block each other. The lock lives as long as ``connection``.
    """
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    digest = hashlib.sha256(f"govwatch.scheduler.{schema}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
    return bool(got)
