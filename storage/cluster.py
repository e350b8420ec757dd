"""The distributed mode's SQL: Procrastinate's schema, and what ``status`` shows of it.

``govwatch run --role scheduler`` and ``govwatch worker`` share one PostgreSQL database; the
job queue is Procrastinate's tables in govwatch's own schema (``search_path``), so the
tests' private schemas and several deployments on one server stay apart. Procrastinate's
schema is applied with its own API (:func:`ensure_queue_schema`), not by an Alembic
migration: its SQL belongs to the installed Procrastinate version, and a SQLite
installation never needs the package (docs/scaling.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from storage.errors import StorageError

STALLED_AFTER = 30.0
"""Seconds without a heartbeat after which a worker counts as dead and its jobs are retried.

Heartbeats (every 2 s) share the event loop with the crawls, whose database calls are
synchronous: on a loaded 2-core machine four workers missed a 10 s limit while alive
(benchmarks/workers.py, docs/scaling.md), and their jobs ran twice at once. 30 s is
Procrastinate's own default; a crawl due hourly loses nothing by waiting that long."""

DISTRIBUTED_NEEDS_POSTGRES = (
    "the distributed mode (govwatch run --role scheduler, govwatch worker) needs PostgreSQL; "
    "set GOVWATCH_DATABASE_URL=postgresql+psycopg://…, or use `govwatch run` alone on SQLite"
)


def require_postgres(engine: Engine) -> None:
    """Raise :class:`StorageError` (one line) unless the database is PostgreSQL."""
    if engine.dialect.name != "postgresql":
        raise StorageError(DISTRIBUTED_NEEDS_POSTGRES)


def libpq_conninfo(engine: Engine) -> str:
    """The engine's URL as a libpq URI (what psycopg's pool, hence Procrastinate, takes)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def schema_key(engine: Engine, purpose: str) -> int:
    """A 64-bit advisory-lock key unique to this database schema and purpose."""
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    digest = hashlib.sha256(f"govwatch.{purpose}.{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def ensure_queue_schema(engine: Engine) -> bool:
    """Apply Procrastinate's schema once (under an advisory lock, so that processes starting
    together do not race); returns True when it was applied now."""
    from procrastinate.schema import SchemaManager

    require_postgres(engine)
    key = schema_key(engine, "queue-schema")
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        present = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
        if present is None:
            driver: Any = connection.connection.driver_connection
            driver.execute(SchemaManager.get_schema())
        connection.commit()
    return present is None


QUEUE_TABLES = ("procrastinate_jobs", "procrastinate_events", "procrastinate_workers")
"""The queue's busy tables: a row per crawl (deleted when it succeeds), its events, and the
workers' heartbeats (one update every 2 s per worker)."""


def autovacuum_is_off(engine: Engine) -> bool:
    """Whether the server's autovacuum is off (``autovacuum = off`` in postgresql.conf)."""
    with engine.connect() as connection:
        return bool(
            connection.execute(text("SELECT current_setting('autovacuum') = 'off'")).scalar()
        )


def tend_queue(engine: Engine) -> None:
    """``VACUUM (ANALYZE)`` the queue's busy tables, as autovacuum would.

    Every crawl inserts a job and deletes it when it succeeds; without vacuum the dead rows
    pile up and without ANALYZE the planner never learns the table's size, so every worker's
    job fetch walks all of them: on a server with autovacuum off, two workers at 2,000
    sources crawled 9–17 sources/s, and 69 after one VACUUM ANALYZE (docs/scaling.md). A
    plain VACUUM takes no lock that stops the workers' reads or writes."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM (ANALYZE) {', '.join(QUEUE_TABLES)}"))


@dataclass
class WorkerRow:
    """One Procrastinate worker as ``status`` shows it."""

    worker_id: int
    last_seen: datetime
    alive: bool
    running_jobs: int


@dataclass
class QueueState:
    """The crawl queue: jobs waiting, running, and how late the oldest waiting one is."""

    waiting: int = 0
    running: int = 0
    failed: int = 0
    lag_seconds: float | None = None
    workers: list[WorkerRow] = field(default_factory=list)


def queue_state(engine: Engine, stalled_after: float) -> QueueState | None:
    """The queue's state, or None when this database has no queue (not distributed)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        if connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
            return None
        counts: dict[str, int] = dict(
            connection.execute(
                text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")
            ).all()
        )
        lag = connection.execute(
            text(
                "SELECT extract(epoch FROM now() - min(coalesce(j.scheduled_at, e.at))) "
                "FROM procrastinate_jobs j JOIN procrastinate_events e "
                "ON e.job_id = j.id AND e.type = 'deferred' "
                "WHERE j.status = 'todo' AND coalesce(j.scheduled_at, e.at) <= now()"
            )
        ).scalar()
        rows = connection.execute(
            text(
                "SELECT w.id, w.last_heartbeat, "
                "now() - w.last_heartbeat < make_interval(secs => :stalled), "
                "count(j.id) FILTER (WHERE j.status = 'doing') "
                "FROM procrastinate_workers w LEFT JOIN procrastinate_jobs j "
                "ON j.worker_id = w.id GROUP BY w.id ORDER BY w.id"
            ),
            {"stalled": stalled_after},
        ).all()
    return QueueState(
        waiting=int(counts.get("todo", 0)),
        running=int(counts.get("doing", 0)),
        failed=int(counts.get("failed", 0)),
        lag_seconds=float(lag) if lag is not None else None,
        workers=[WorkerRow(int(r[0]), r[1], bool(r[2]), int(r[3])) for r in rows],
    )
