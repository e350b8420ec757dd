"""``govwatch run --role scheduler``: the one scheduler of a cluster enqueues, never crawls.

It is ``govwatch run``'s daemon (crawler/daemon.py) with one change: a batch of due sources
(the same APScheduler jobs, jitter, back-off and ``batch_window`` batching) becomes one
queued job per source (crawler/service/queue.py) instead of a crawl in this process.

Exactly one scheduler leads: the existing PostgreSQL advisory-lock lease
(crawler/lease.py). A second ``--role scheduler`` is a standby: it polls the lock every
``STANDBY_POLL`` seconds and takes over as soon as the leader's database session ends — at
once when the leader exits or is killed, since the server drops a dead client's session and
its locks with it. The leader also retries the jobs of dead workers and closes their runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from crawler.app_config import AppConfig
from crawler.errors import StorageError
from crawler.service.daemon import Daemon, load_configuration
from crawler.service.lease import SchedulerLock
from crawler.service.outage import describe_error
from crawler.service.queue import SWEEP_EVERY, defer_crawl, make_app, retry_stalled_jobs
from crawler.service.reactor import reactor_loop
from crawler.service.scheduler import SourceScheduler
from crawler.service.signals import forwarded_signals, wait_for
from storage.cluster import autovacuum_is_off, ensure_queue_schema, require_postgres, tend_queue
from storage.models import utcnow
from storage.run_owners import close_abandoned_runs

logger = logging.getLogger(__name__)

STANDBY_POLL = 1.0


TEND_EVERY = 60.0  # seconds between the scheduler's vacuums of the queue (autovacuum off)
TEND_AFTER = 100  # … and right after queueing at least this many crawls at once


class EnqueuingScheduler(SourceScheduler):
    """The daemon's scheduler, whose batches are queued for the workers."""

    def __init__(self, engine: Engine, config: AppConfig, app: Any, **kwargs: Any) -> None:
        super().__init__(engine, config, **kwargs)
        self.app = app
        # Set by the daemon when the server's autovacuum is off: the scheduler then vacuums
        # the queue itself (storage.cluster.tend_queue), or the job fetch slows to a crawl.
        self.tends_queue = False
        self._tended_at = time.monotonic()

    async def tend_queue(self, *, burst: int = 0) -> None:
        """Vacuum the queue (when this scheduler tends it) after a burst of at least
        :data:`TEND_AFTER` queued crawls, or once :data:`TEND_EVERY` seconds have passed;
        a failure is one log line, and the next sweep tries again."""
        if not self.tends_queue:
            return
        if burst < TEND_AFTER and time.monotonic() - self._tended_at < TEND_EVERY:
            return
        self._tended_at = time.monotonic()
        try:
            await asyncio.get_running_loop().run_in_executor(None, tend_queue, self.engine)
        except SQLAlchemyError as exc:
            logger.warning("The crawl queue could not be vacuumed: %s", describe_error(exc))

    async def _crawl(self, source_ids: list[str]) -> None:
        ids = [sid for sid in source_ids if sid in self.sources]
        if not ids:
            return
        started_at: datetime = utcnow()
        if self.database_down and self.on_database_error is not None:
            self.on_database_error(SQLAlchemyError("the database is unreachable"), ids, started_at)
            return
        from procrastinate.exceptions import ConnectorException

        queued: list[str] = []
        try:
            for source_id in ids:
                if await defer_crawl(self.app, source_id):
                    queued.append(source_id)
        except ConnectorException as exc:
            if self.on_database_error is None:
                raise
            lost = OperationalError("defer", {}, exc)
            self.on_database_error(lost, ids[len(queued) :], started_at)
            return
        waiting = sorted(set(ids) - set(queued))
        logger.info(
            "Queued %d crawls%s",
            len(queued),
            f" ({len(waiting)} still queued from before: {', '.join(waiting)})" if waiting else "",
        )
        self._back_off(ids)
        await self.tend_queue(burst=len(queued))


class ClusterDaemon(Daemon):
    """``govwatch run``'s daemon, scheduling for the workers."""

    app: Any  # the Procrastinate app the crawls are queued on
    scheduler: EnqueuingScheduler

    def _new_scheduler(self) -> EnqueuingScheduler:
        self.app = make_app(self.engine)
        scheduler = EnqueuingScheduler(
            self.engine, self.config, self.app, on_database_error=self._crawl_broken
        )
        if autovacuum_is_off(self.engine):
            logger.warning(
                "PostgreSQL's autovacuum is off: the scheduler vacuums the crawl queue itself "
                "(every %.0f s, and after queueing %d crawls or more); turn autovacuum on for "
                "govwatch's other tables",
                TEND_EVERY,
                TEND_AFTER,
            )
            scheduler.tends_queue = True
        return scheduler

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    async def serve(self) -> int:
        await self.app.open_async()
        sweeper = asyncio.create_task(self._sweep_loop())
        try:
            return await super().serve()
        finally:
            sweeper.cancel()
            await asyncio.gather(sweeper, return_exceptions=True)
            await self.app.close_async()

    async def _sweep_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            if self.outage.down:
                continue
            try:
                await loop.run_in_executor(None, close_abandoned_runs, self.engine)
                await retry_stalled_jobs(self.app)
            except Exception as exc:  # the heartbeat notices a lost database
                logger.warning("The sweep of stalled crawls failed: %s", describe_error(exc))
            await self.scheduler.tend_queue()


def acquire_or_stand_by(lock: SchedulerLock, stopped: Callable[[], bool]) -> bool:
    """Take the scheduler lock, waiting as a standby while another scheduler holds it;
    False when asked to stop while standing by."""
    announced = False
    while not stopped():
        try:
            lock.acquire()
        except StorageError as exc:
            if not announced:
                logger.info("Standby: %s Taking over when it stops.", exc)
                announced = True
            time.sleep(STANDBY_POLL)
            continue
        if announced:
            logger.warning("Took over as the scheduler (pid %d)", lock.pid)
        return True
    return False


def serve_scheduler(engine: Engine, paths: tuple[Path, Path], *, log_level: str | None) -> int:
    """Lead (or stand by, then lead) the cluster's scheduling; return the exit status."""
    require_postgres(engine)
    sources, config = load_configuration(*paths)
    ensure_queue_schema(engine)
    lock = SchedulerLock(engine)
    loop = reactor_loop()
    daemon = ClusterDaemon(engine, lock, paths, sources, config, fixed_log_level=bool(log_level))
    with forwarded_signals(daemon, loop):
        if not acquire_or_stand_by(lock, daemon.stop_requested):
            return 0
        try:
            return wait_for(asyncio.run_coroutine_threadsafe(daemon.serve(), loop))
        finally:
            lock.release()
