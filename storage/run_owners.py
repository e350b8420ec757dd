"""Which ``running`` runs still have a live process behind them, and closing the others.

A run row says ``running`` from the moment a crawl opens it until the crawl records its
outcome. When the process is killed (``kill -9``, OOM, power cut) or loses its database in
the middle, the row would stay ``running``. The next ``govwatch run`` or ``govwatch crawl``
closes such runs as ``interrupted`` — but only runs whose owner is really gone: a daemon and
a ``govwatch crawl`` by hand may crawl at the same time, and neither may close the other's
live run.

The rule: **a run is open while its owner holds its run lock; a sweep closes running runs
whose lock it can take.** The owner takes the lock in the transaction that creates the row
(so no sweep ever sees the row unowned) and drops it in the transaction that records the
outcome. The locks are ones the system releases when the owner dies, so no clock, heartbeat
or guess of a crawl's longest duration is involved:

- PostgreSQL: a session advisory lock ``(namespace of the schema, run id)`` on one connection
  per process. It also goes when that connection is lost: a run whose owner lost its
  database is treated as abandoned (its owner cannot record it either), and if the owner
  does record it later, the real outcome overwrites ``interrupted``.
- SQLite: a POSIX record lock on byte ``run id`` of ``<database>.runs.lock``, one open file
  per process (closing any other descriptor of that file would drop all of the process's
  locks, so there is exactly one).

Closing is ``UPDATE … WHERE outcome = 'running'``: a run that its owner recorded between the
sweep's check and its update keeps the recorded outcome.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from storage.db import transaction
from storage.models import CrawlRun, utcnow

logger = logging.getLogger(__name__)

ABANDONED_REASON = "the process running this crawl stopped before it finished"

_owners: dict[str, RunOwner] = {}
_owners_guard = threading.Lock()


def owner_for(engine: Engine) -> RunOwner:
    """This process's owner of runs on ``engine``'s database (one per database)."""
    key = engine.url.render_as_string(hide_password=False)
    with _owners_guard:
        if key not in _owners:
            _owners[key] = RunOwner(engine)
        return _owners[key]


class RunOwner:
    """The run locks this process holds on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.held: dict[int, str] = {}  # run id → source id
        self._lock = threading.RLock()
        self._connection: Connection | None = None
        self._file: IO[bytes] | None = None
        self._namespace: int | None = None

    # --- holding -------------------------------------------------------------------------

    def hold(self, runs: dict[int, str]) -> None:
        """Take the locks of newly opened runs (call before their rows are committed)."""
        with self._lock:
            if self.engine.dialect.name == "postgresql":
                try:
                    self._pg_lock(runs)
                except SQLAlchemyError:  # a connection lost earlier: once more on a new one
                    self._drop_connection()
                    try:
                        self._pg_lock({**self.held, **runs})
                    except SQLAlchemyError:  # no half-held locks stay behind: the opening
                        self._drop_connection()  # transaction rolls back, the caller sees it
                        raise
            elif self._lock_file() is not None:
                for run_id in runs:
                    fcntl.lockf(self._lock_file_handle(), fcntl.LOCK_EX, 1, run_id)
            self.held.update(runs)

    def release(self, run_ids: Iterable[int]) -> None:
        """Drop the locks of recorded runs (or of runs this process gives up on)."""
        with self._lock:
            ids = [run_id for run_id in run_ids if self.held.pop(run_id, None) is not None]
            if not ids:
                return
            if self.engine.dialect.name == "postgresql":
                if self._connection is None:
                    return
                try:
                    for run_id in ids:
                        self._connection.execute(
                            text("SELECT pg_advisory_unlock(:ns, :id)"),
                            {"ns": self._pg_namespace(), "id": run_id},
                        )
                    self._connection.commit()
                except SQLAlchemyError:  # the server dropped the locks with the connection
                    self._drop_connection()
            elif self._file is not None:
                for run_id in ids:
                    fcntl.lockf(self._file, fcntl.LOCK_UN, 1, run_id)

    def runs_of(self, source_ids: Iterable[str]) -> list[int]:
        """The held runs of these sources."""
        wanted = set(source_ids)
        with self._lock:
            return [run_id for run_id, source_id in self.held.items() if source_id in wanted]

    def _pg_lock(self, runs: dict[int, str]) -> None:
        if self._connection is None:
            self._connection = self.engine.connect()
        for run_id in runs:
            self._connection.execute(
                text("SELECT pg_advisory_lock(:ns, :id)"),
                {"ns": self._pg_namespace(), "id": run_id},
            )
        self._connection.commit()  # session locks outlive the transaction

    def _pg_namespace(self) -> int:
        if self._namespace is None:
            with self.engine.connect() as connection:
                schema = connection.execute(text("SELECT current_schema()")).scalar_one()
            digest = hashlib.sha256(f"govwatch.runs.{schema}".encode()).digest()
            self._namespace = int.from_bytes(digest[:4], "big", signed=True)
        return self._namespace

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except SQLAlchemyError as exc:
                logger.debug("Dropping the run-lock connection failed: %s", exc)
            self._connection = None

    def _lock_file(self) -> Path | None:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return None
        return Path(database).with_name(Path(database).name + ".runs.lock")

    def _lock_file_handle(self) -> IO[bytes]:
        if self._file is None:
            path = self._lock_file()
            if path is None:
                raise RuntimeError("an in-memory SQLite database has no run-lock file")
            self._file = path.open("ab")
        return self._file

    # --- sweeping ------------------------------------------------------------------------

    def close_orphaned_runs(
        self,
        reason: str,
        *,
        source_ids: Sequence[str] | None = None,
        started_since: datetime | None = None,
    ) -> list[CrawlRun]:
        """Close as ``interrupted`` every running run no live process owns; return them."""
        query = select(CrawlRun.id).where(
            CrawlRun.outcome == "running", CrawlRun.finished_at.is_(None)
        )
        if source_ids is not None:
            query = query.where(CrawlRun.source_id.in_(list(source_ids)))
        if started_since is not None:
            query = query.where(CrawlRun.started_at >= started_since)
        with transaction(self.engine) as session:
            candidates = [run_id for run_id in session.scalars(query) if run_id not in self.held]
        orphans = [run_id for run_id in candidates if self._owner_is_gone(run_id)]
        if not orphans:
            return []
        with transaction(self.engine) as session:
            session.execute(
                update(CrawlRun)
                .where(
                    CrawlRun.id.in_(orphans),
                    CrawlRun.outcome == "running",
                    CrawlRun.finished_at.is_(None),
                )
                .values(outcome="interrupted", finished_at=utcnow(), error=reason)
            )
            closed = session.scalars(
                select(CrawlRun).where(CrawlRun.id.in_(orphans), CrawlRun.outcome == "interrupted")
            )
            return list(closed)

    def _owner_is_gone(self, run_id: int) -> bool:
        with self._lock:
            if self.engine.dialect.name == "postgresql":
                with self.engine.connect() as connection:
                    params = {"ns": self._pg_namespace(), "id": run_id}
                    free = bool(
                        connection.execute(
                            text("SELECT pg_try_advisory_lock(:ns, :id)"), params
                        ).scalar()
                    )
                    if free:
                        connection.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), params)
                    connection.commit()
                    return free
            if self._lock_file() is None:
                return True  # an in-memory database lives and dies with this process
            handle = self._lock_file_handle()
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, run_id)
            except OSError:
                return False
            fcntl.lockf(handle, fcntl.LOCK_UN, 1, run_id)
            return True


def close_abandoned_runs(engine: Engine) -> int:
    """Close the runs a stopped process left ``running`` (only runs no live process owns);
    ``govwatch run`` and ``govwatch crawl`` call this when they start."""
    closed = owner_for(engine).close_orphaned_runs(ABANDONED_REASON)
    if closed:
        logger.warning(
            "Closed %d runs left running by a stopped process as interrupted: %s",
            len(closed),
            ", ".join(f"{run.source_id} (run {run.id})" for run in closed),
        )
    return len(closed)


def record_missed_run(session: Session, source_id: str, started_at: datetime, error: str) -> int:
    """Record a scheduled crawl that could not be made (its database was unreachable) as an
    ``interrupted`` run, so that every scheduled run leaves a record."""
    run = CrawlRun(
        source_id=source_id,
        started_at=started_at,
        finished_at=utcnow(),
        outcome="interrupted",
        error=error,
    )
    session.add(run)
    session.flush()
    return run.id
