"""One scheduler per database: the lock ``govwatch run`` holds while it runs.

Two daemons scheduling the same sources would crawl everything twice and race on health
states, so a second ``govwatch run`` against the same database refuses to start.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection held
  for the life of the process. The key is derived from the schema name, so one server can
  host several govwatch databases (and the tests' private schemas).
- SQLite: an exclusive ``flock`` on ``<database file>.scheduler.lock`` next to the file.
  SQLite is a local file, so a local lock is exactly as wide as the database.

Both vanish with the process, even after ``kill -9`` or a power cut, so a crash never leaves
a lock that blocks the restart. The advisory lock also vanishes when the server or the
network drops the lock's connection: the daemon then calls :meth:`SchedulerLock.reacquire`
until the database answers again, and stops only if another scheduler took the lock in
the meantime. Who holds the lock is written to the ``scheduler_leases``
row (host, pid, heartbeat): ``govwatch reload`` signals that pid, ``govwatch status`` shows it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.errors import StorageError
from storage.db import ping, redact_url, transaction
from storage.leases import read_lease, touch_lease, try_advisory_lock, write_lease
from storage.models import utcnow

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler"


class SchedulerLock:
    """``acquire()`` or raise :class:`StorageError` naming the holder; ``release()`` at exit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pid = os.getpid()
        self.hostname = socket.gethostname()
        self._connection: Connection | None = None
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            self._acquire_advisory_lock()
        elif dialect == "sqlite":
            self._acquire_lock_file()
        else:
            raise StorageError(f"govwatch run supports SQLite and PostgreSQL, not {dialect}")
        with transaction(self.engine) as session:
            write_lease(session, LEASE_NAME, hostname=self.hostname, pid=self.pid)

    def _acquire_advisory_lock(self) -> None:
        connection = self.engine.connect()
        got = try_advisory_lock(connection)
        connection.commit()  # the lock is held by the session, not the transaction
        if not got:
            connection.close()
            raise StorageError(self._refusal())
        self._connection = connection

    def _acquire_lock_file(self) -> None:
        database = self.engine.url.database
        if not database or database == ":memory:":
            raise StorageError("govwatch run needs a database file, not an in-memory SQLite")
        path = Path(database).with_name(Path(database).name + ".scheduler.lock")
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise StorageError(self._refusal(f" (lock file {path})")) from exc
        handle.truncate(0)
        handle.write(f"{self.hostname} {self.pid}\n")
        handle.flush()
        self._file = handle

    def _refusal(self, detail: str = "") -> str:
        holder = "another process"
        try:
            with transaction(self.engine) as session:
                lease = read_lease(session, LEASE_NAME)
                if lease is not None:
                    holder = (
                        f"pid {lease.pid} on {lease.hostname}, "
                        f"started {lease.started_at:%Y-%m-%d %H:%M:%S} UTC"
                    )
        except SQLAlchemyError:
            holder = "another process (its lease row could not be read)"
        return (
            f"another `govwatch run` already schedules crawls on "
            f"{redact_url(str(self.engine.url))}: {holder}{detail}. Only one scheduler may "
            "run per database; stop that one first, or use `govwatch reload` to make it "
            "read changed configuration."
        )

    def check(self) -> None:
        """Raise :class:`SQLAlchemyError` if the lock's database session is gone (the
        server released the lock with it)."""
        if self._connection is None:
            return
        ping(self._connection)
        self._connection.commit()

    def reacquire(self) -> None:
        """Take the lock again after its connection was lost, and refresh the lease row.

        Raises :class:`SQLAlchemyError` while the database is still unreachable, and
        :class:`StorageError` (naming the holder) if another scheduler took the lock.
        """
        if self.engine.dialect.name == "postgresql":
            self._drop_connection()
            self._acquire_advisory_lock()
        with transaction(self.engine) as session:
            lease = read_lease(session, LEASE_NAME)
            if lease is None or lease.pid != self.pid or lease.hostname != self.hostname:
                write_lease(session, LEASE_NAME, hostname=self.hostname, pid=self.pid)
            else:
                touch_lease(session, LEASE_NAME, self.pid, heartbeat_at=utcnow())

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()  # never hand a dead connection back to the pool
                self._connection.close()
            except SQLAlchemyError as exc:
                logger.debug("Closing the scheduler lock's connection failed: %s", exc)
            self._connection = None

    def heartbeat(self, **values: object) -> None:
        """Refresh the lease row (and record a reload result or the stop time)."""
        with transaction(self.engine) as session:
            touch_lease(session, LEASE_NAME, self.pid, heartbeat_at=utcnow(), **values)

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()  # closing the session releases the advisory lock
            except SQLAlchemyError as exc:  # the server drops the lock with the session anyway
                logger.debug("Closing the scheduler lock's connection failed: %s", exc)
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
