"""The ``govwatch run`` process: lock, signals, reload, alert delivery, graceful shutdown.

Threads. The Twisted reactor and its asyncio loop run in the background thread that
:mod:`crawler.service.reactor` starts, as for every other command; the scheduler, the crawls, the
alert dispatcher and ``/healthz`` all live on that loop. The main thread holds the database
lock, installs the signal handlers (Python runs them on the main thread only) and waits.
Handlers forward a signal to the loop with ``call_soon_threadsafe``. Keeping the reactor
out of the main thread keeps one code path for all commands and tests, and lets a second
SIGTERM/SIGINT exit at once from the main thread even when the loop is busy.

Stopping. The first SIGTERM/SIGINT pauses the scheduler, lets crawls in flight finish for up
to ``scheduler.shutdown_timeout`` (runs still going then are closed as ``interrupted``),
delivers pending alerts, marks the lease stopped and exits 0. A second signal exits
immediately with 128 + the signal number: every database write is a transaction, so SQLite
(WAL) and PostgreSQL roll back whatever was half-done; nothing is corrupted, a run in flight
stays ``running`` until the next start closes it.

Database outages. When the database goes away (server restart, failover, network cut) the
daemon keeps running: it logs one line, does not start crawls it could not record, keeps
``/healthz`` answering 503, and retries its connection and its scheduler lock every
``min(scheduler.heartbeat_every, 5s)``. When the database answers again it re-takes the
lock (or stops with exit 1 if another scheduler took it meanwhile), records the crawls the
outage broke as ``interrupted`` runs (one per source, error naming the database), queues
one ops notice, and carries on (crawler/service/outage.py).

Reloading. SIGHUP (``govwatch reload`` sends it) re-reads both configuration files. A valid
configuration is applied to the jobs at once (:meth:`SourceScheduler.apply`); an invalid one
is refused with the file, line and field, and the previous one keeps running. The result is
written to the lease row, where ``govwatch reload`` reads it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.alerts.dispatch import dispatch_all
from crawler.alerts.router import ops_destination
from crawler.app_config import AppConfig, hold_app_config, read_app_config
from crawler.config_loader import load_sources
from crawler.digest.schedule import weekly_digest_job
from crawler.errors import ConfigError, GovwatchError, StorageError
from crawler.runner import spider_class_for
from crawler.service.healthz import serve_healthz
from crawler.service.lease import SchedulerLock
from crawler.service.outage import DatabaseOutage, MissedCrawl, describe_error
from crawler.service.reactor import reactor_loop
from crawler.service.scheduler import SourceScheduler, trigger_for
from crawler.service.signals import forwarded_signals, wait_for
from crawler.sources import SourceConfig
from crawler.web.inprocess import start_web
from crawler.web.metrics import healthz_metrics
from storage.db import ping, redact_url, transaction
from storage.models import utcnow
from storage.outbox import enqueue_ops_alert
from storage.retention import prune
from storage.run_owners import close_abandoned_runs, owner_for, record_missed_run
from storage.runs import close_unfinished_runs

logger = logging.getLogger(__name__)

FLUSH_TIMEOUT = 30.0
FIRST_PRUNE_AFTER = 60.0
RECONNECT_EVERY_AT_MOST = 5.0


def load_configuration(
    sources_path: Path, config_path: Path
) -> tuple[dict[str, SourceConfig], AppConfig]:
    """Load and fully check the files (govwatch.yaml with its routing.yaml, sources.yaml);
    raise :class:`ConfigError` without side effects. Once accepted, this process's crawls
    use them until the next accepted reload (``hold_app_config``)."""
    config = read_app_config(config_path)
    sources = load_sources(sources_path)
    problems = []
    for source in sources.values():
        try:
            spider_class_for(source)
            trigger_for(source)
        except (ConfigError, ValueError) as exc:
            problems.append(f"{sources_path} {source.id}: {exc}")
    if problems:
        raise ConfigError("\n".join(problems))
    hold_app_config(config_path, config)
    return sources, config


class Daemon:
    """Everything that runs on the loop; created and served by :func:`run_daemon`."""

    def __init__(
        self,
        engine: Engine,
        lock: SchedulerLock,
        paths: tuple[Path, Path],
        sources: dict[str, SourceConfig],
        config: AppConfig,
        *,
        fixed_log_level: bool = False,
    ) -> None:
        self.engine = engine
        self.lock = lock
        self.sources_path, self.config_path = paths
        self.sources = sources
        self.config = config
        self.fixed_log_level = fixed_log_level
        self.exit_code = 0
        self.scheduler = self._new_scheduler()
        self.outage = DatabaseOutage()
        self._stop = asyncio.Event()
        self._wake_dispatch = asyncio.Event()
        self._stop_reason = ""

    def _new_scheduler(self) -> SourceScheduler:
        """The scheduler of this daemon's crawls (``govwatch run --role scheduler`` queues
        them for workers instead: crawler/service/cluster_schedule.py)."""
        return SourceScheduler(
            self.engine,
            self.config,
            on_crawled=self._dispatch_soon,
            on_database_error=self._crawl_broken,
        )

    async def serve(self) -> int:
        self._close_abandoned_runs()
        self.scheduler.start(self.sources)
        tasks = [
            asyncio.create_task(self._dispatch_loop()),
            asyncio.create_task(self._heartbeat()),
            asyncio.create_task(self._retention_loop()),
            asyncio.create_task(weekly_digest_job(self)),  # docs/digest.md
        ]
        server = await self._start_healthz()
        web = start_web(self.engine, lambda: self.sources, self.config.web)  # docs/web.md
        logger.info(
            "Started: %d sources scheduled on %s (pid %d)%s; alerts go to %s",
            len(self.scheduler.sources),
            redact_url(str(self.engine.url)),
            self.lock.pid,
            f", /healthz on port {self.config.scheduler.healthz_port}" if server else "",
            "Slack" if self.config.slack.token() else "the console (no SLACK_BOT_TOKEN)",
        )
        await self._stop.wait()
        await self._shutdown(tasks, server)
        if web is not None:
            web.stop()
        return self.exit_code

    def request_stop(self, reason: str, exit_code: int = 0) -> None:
        self._stop_reason = self._stop_reason or reason
        self.exit_code = max(self.exit_code, exit_code)
        self._stop.set()

    def request_reload(self) -> None:
        try:
            sources, config = load_configuration(self.sources_path, self.config_path)
        except ConfigError as exc:
            logger.error("Refused the new configuration, still running the previous one:\n%s", exc)
            message = f"refused: {exc}"
        else:
            try:
                report = self.scheduler.apply(sources, config)
            except SQLAlchemyError as exc:
                self._database_lost(exc)
                logger.error("Could not reload now (the database is unreachable); try again")
                return
            self.sources, self.config = sources, config
            if not self.fixed_log_level:
                logging.getLogger().setLevel(config.log_level.upper())
            logger.info("Reloaded the configuration: %s", report)
            message = f"reloaded: {report}"
        try:
            self.lock.heartbeat(reloaded_at=utcnow(), reload_message=message)
        except SQLAlchemyError as exc:
            logger.warning("Could not record the reload result: %s", exc)

    async def _shutdown(self, tasks: list[asyncio.Task[None]], server: Any) -> None:
        timeout = self.config.scheduler.shutdown_timeout.total_seconds()
        self.scheduler.pause()
        in_flight = self.scheduler.due_batches.in_flight
        logger.info(
            "Stopping (%s): no new crawls; waiting up to %.0fs for %d in flight",
            self._stop_reason,
            timeout,
            len(in_flight),
        )
        if not await self.scheduler.due_batches.wait_idle(timeout):
            abandoned = await self.scheduler.due_batches.cancel()
            reason = f"govwatch stopped: the crawl did not finish within {timeout:.0f}s"
            try:
                with transaction(self.engine) as session:
                    close_unfinished_runs(
                        session, started_before=utcnow(), reason=reason, source_ids=abandoned
                    )
            except SQLAlchemyError as exc:  # the next start closes them (storage/run_owners)
                logger.error("Could not close the interrupted runs: %s", describe_error(exc))
            logger.error("Interrupted the crawls of %s: %s", ", ".join(abandoned), reason)
        self.scheduler.shutdown()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            server.close()
            await server.wait_closed()
        await self._dispatch(timeout=FLUSH_TIMEOUT)
        with contextlib.suppress(SQLAlchemyError):  # the lock itself goes with the process
            self.lock.heartbeat(stopped_at=utcnow())
        logger.info("Stopped")

    def _close_abandoned_runs(self) -> None:
        close_abandoned_runs(self.engine)

    def _dispatch_soon(self) -> None:
        self._wake_dispatch.set()

    async def _dispatch_loop(self) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
        # that arrives as the event is set (CPython gh-86296), and shutdown would hang.
        while not self._stop.is_set():
            every = self.config.scheduler.dispatch_every.total_seconds()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await self._wake_dispatch.wait()
            self._wake_dispatch.clear()
            await self._dispatch()

    async def _dispatch(self, timeout: float | None = None) -> None:
        """Deliver due alerts in a worker thread (Slack calls block); failures stay queued."""
        if self.outage.down:
            return  # they stay in the outbox until the database is back
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                report = await loop.run_in_executor(None, dispatch_all, self.engine, self.config)
        except SQLAlchemyError as exc:
            self._database_lost(exc)
            return
        except (GovwatchError, TimeoutError) as exc:
            logger.error("Alert delivery failed; the alerts stay in the outbox: %s", exc)
            return
        if report.sent or report.retrying or report.failed:
            logger.info(
                "Delivered %d alerts (%d to retry, %d failed)",
                report.sent,
                report.retrying,
                report.failed,
            )

    async def _retention_loop(self) -> None:
        """Prune old rows (storage/retention.py) a minute after start, then every
        ``retention.every``; a restart-happy deployment still prunes."""
        loop = asyncio.get_running_loop()
        first = True
        while not self._stop.is_set():
            every = self.config.retention.every
            if every is None:  # switched off; a reload may switch it on
                await asyncio.sleep(FIRST_PRUNE_AFTER)
                continue
            seconds = every.total_seconds()
            await asyncio.sleep(min(seconds, FIRST_PRUNE_AFTER) if first else seconds)
            first = False
            if self.outage.down:
                continue
            policy = self.config.retention.policy()
            try:
                report = await loop.run_in_executor(None, prune, self.engine, policy)
            except SQLAlchemyError as exc:
                self._database_lost(exc)
                continue
            logger.info("%s", report)

    async def _heartbeat(self) -> None:
        """Refresh the lease; while the database is lost, reconnect and re-take the lock."""
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            every = self.config.scheduler.heartbeat_every.total_seconds()
            if self.outage.down:
                every = min(every, RECONNECT_EVERY_AT_MOST)
            await asyncio.sleep(every)
            try:
                if self.outage.down:
                    await loop.run_in_executor(None, self.lock.reacquire)
                    await self._database_back()
                else:
                    await loop.run_in_executor(None, self.lock.check)
                    await loop.run_in_executor(None, self.lock.heartbeat)
            except StorageError as exc:  # another scheduler took the lock while we were cut off
                logger.error("Stopping: %s", exc)
                self.request_stop("lost the scheduler lock", exit_code=1)
            except SQLAlchemyError as exc:
                self._database_lost(exc)

    def _database_lost(self, exc: SQLAlchemyError) -> None:
        """Note that the database is unreachable; the first failure of an outage is logged
        (one line), later ones are not."""
        self.scheduler.database_down = True
        if self.outage.lost(describe_error(exc), utcnow()):
            logger.error(
                "The database %s is unreachable (%s). govwatch keeps running: no crawl "
                "starts until it is back; reconnecting every %.0fs",
                redact_url(str(self.engine.url)),
                self.outage.reason,
                min(self.config.scheduler.heartbeat_every.total_seconds(), RECONNECT_EVERY_AT_MOST),
            )

    def _crawl_broken(self, exc: SQLAlchemyError, source_ids: list[str], started: Any) -> None:
        """A scheduled crawl could not open or record its runs: keep it for the record."""
        self._database_lost(exc)
        self.outage.miss(source_ids, started)

    async def _database_back(self) -> None:
        """The lock is ours again: record what the outage broke, tell ops once, go on.

        The outage stays open until its record is written: a crawl broken meanwhile adds to
        it instead of starting a second outage (a second "unreachable" line and notice)."""
        began, reason, missed = self.outage.down_since, self.outage.reason, list(self.outage.missed)
        self.scheduler.database_down = False  # crawls may start again
        loop = asyncio.get_running_loop()
        try:
            recorded = await loop.run_in_executor(None, self._record_outage, began, reason, missed)
        except SQLAlchemyError:
            self.scheduler.database_down = True
            return
        self.outage.recorded(len(missed))
        logger.warning(
            "The database is reachable again after %s; re-took the scheduler lock; "
            "%d runs recorded as interrupted",
            _duration(began),
            recorded,
        )
        self._dispatch_soon()

    def _record_outage(self, began: Any, reason: str, missed: list[MissedCrawl]) -> int:
        """Close or record the runs the outage broke; queue the one ops notice."""
        now = utcnow()
        shown = redact_url(str(self.engine.url))
        error = (
            f"govwatch's database {shown} was unreachable from {began:%H:%M:%S} to "
            f"{now:%H:%M:%S} UTC ({reason}); this run could not be made or recorded"
        )
        owner = owner_for(self.engine)
        recorded = 0
        first_miss: dict[str, Any] = {}
        for crawl in missed:
            for source_id in crawl.source_ids:
                first_miss.setdefault(source_id, crawl.started_at)
        for source_id, started in first_miss.items():
            closed = owner.close_orphaned_runs(error, source_ids=[source_id], started_since=started)
            if not closed:
                with transaction(self.engine) as session:
                    record_missed_run(session, source_id, started, error)
            recorded += max(len(closed), 1)
        with transaction(self.engine) as session:
            enqueue_ops_alert(
                session,
                text=(
                    f"govwatch lost its database {shown} for {_duration(began)} "
                    f"(from {began:%Y-%m-%d %H:%M:%S} UTC: {reason}). It kept running, "
                    f"re-took its scheduler lock and crawls again; {recorded} runs of "
                    f"{len(first_miss)} sources were recorded as interrupted."
                ),
                source_id=None,
                state="database",
                destination=ops_destination(self.config),
            )
        return recorded

    async def _start_healthz(self) -> asyncio.Server | None:
        port = self.config.scheduler.healthz_port
        if port is None:
            return None
        metrics = healthz_metrics(self.engine)  # Prometheus /metrics beside /healthz
        return await serve_healthz(self.config.scheduler.healthz_host, port, self.health, metrics)

    async def health(self) -> tuple[bool, dict[str, str]]:
        """Process alive (we answer), scheduler running, database reachable."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(5):
                await loop.run_in_executor(None, self._ping_database)
            database = "ok"
        except (SQLAlchemyError, TimeoutError) as exc:
            database = f"unreachable ({type(exc).__name__})"
        scheduler = "running" if self.scheduler.running else "stopped"
        healthy = database == "ok" and scheduler == "running"
        return healthy, {"status": "ok" if healthy else "unhealthy", "scheduler": scheduler,
                         "database": database}  # fmt: skip

    def _ping_database(self) -> None:
        with self.engine.connect() as connection:
            ping(connection)


def _duration(began: Any) -> str:
    seconds = int((utcnow() - began).total_seconds()) if began is not None else 0
    return f"{seconds // 60}m {seconds % 60}s" if seconds >= 60 else f"{seconds}s"


def serve_until_stopped(engine: Engine, paths: tuple[Path, Path], *, log_level: str | None) -> int:
    """Take the lock, run the daemon on the reactor's loop, return the exit status."""
    sources, config = load_configuration(*paths)
    lock = SchedulerLock(engine)
    daemon = Daemon(engine, lock, paths, sources, config, fixed_log_level=bool(log_level))
    loop = reactor_loop()
    # Handlers first: once the lease names this pid, `govwatch reload` may signal it.
    with forwarded_signals(daemon, loop):
        lock.acquire()
        try:
            return wait_for(asyncio.run_coroutine_threadsafe(daemon.serve(), loop))
        finally:
            lock.release()
            _stop_reactor()


def _stop_reactor() -> None:
    from twisted.internet import reactor as installed

    reactor: Any = installed
    if reactor.running:
        reactor.callFromThread(reactor.stop)
        for thread in threading.enumerate():
            if thread.name == "govwatch-reactor":
                thread.join(timeout=5)
