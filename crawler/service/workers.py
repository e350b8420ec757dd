"""``govwatch worker``: run queued crawls, as many processes and machines as needed.

A worker is a Procrastinate worker on the Scrapy reactor's asyncio loop
(:mod:`crawler.service.reactor`): each job awaits :func:`crawler.runner.crawl_sources` there, as
``govwatch run`` does. Jobs that arrive within ``scheduler.batch_window`` (at most a second)
share one Scrapy crawl (the existing :class:`crawler.service.due_batches.DueBatches`), so a
worker keeps the batching that makes a crawl cheap; ``--concurrency`` bounds the jobs it
runs at once.

Every worker also delivers due alerts (the outbox claims make that safe with any number of
dispatchers), closes runs that dead processes left ``running`` as ``interrupted``
(storage/run_owners.py) and retries the jobs of dead workers (crawler/service/queue.py).
Requests go through the cluster-wide host gate (crawler/middlewares/host_politeness.py).

SIGTERM/SIGINT: stop taking jobs, let running ones finish for up to
``scheduler.shutdown_timeout``, then close what is left as ``interrupted``; a second signal
exits at once. SIGHUP re-reads the configuration (sources added or changed are crawled with
their new settings from the next job on).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler import settings as crawl_settings
from crawler.alerts.dispatch import dispatch_all
from crawler.app_config import AppConfig
from crawler.errors import ConfigError, GovwatchError
from crawler.runner import CrawlOptions, crawl_sources, scrapy_settings, spider_class_for
from crawler.service.daemon import load_configuration
from crawler.service.due_batches import DueBatches, collect_window
from crawler.service.outage import describe_error
from crawler.service.queue import (
    HEARTBEAT_EVERY,
    QUEUE,
    SWEEP_EVERY,
    make_app,
    retry_stalled_jobs,
)
from crawler.service.reactor import reactor_loop
from crawler.service.signals import forwarded_signals, wait_for
from crawler.sources import SourceConfig
from storage.cluster import STALLED_AFTER, ensure_queue_schema, require_postgres
from storage.db import redact_url, transaction
from storage.models import utcnow
from storage.run_owners import close_abandoned_runs
from storage.runs import close_unfinished_runs

logger = logging.getLogger(__name__)

POLITENESS_MIDDLEWARE = "crawler.middlewares.host_politeness.HostPolitenessMiddleware"


def cluster_crawl_settings(engine: Engine, config: AppConfig) -> dict[str, Any]:
    """The daemon's crawl settings plus the cluster-wide host gate."""
    middlewares = dict(crawl_settings.DOWNLOADER_MIDDLEWARES)
    middlewares[POLITENESS_MIDDLEWARE] = 900
    return {
        **config.scheduler.crawl_settings,
        "DOWNLOADER_MIDDLEWARES": middlewares,
        "GOVWATCH_CLUSTER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }


SCRAPY_COMPONENTS = (
    "DOWNLOAD_HANDLERS",
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES",
    "EXTENSIONS",
    "ITEM_PIPELINES",
)


def warm_up(sources: dict[str, SourceConfig], config: AppConfig, engine: Engine) -> None:
    """Import what the first crawl would (the pipelines, middlewares and spiders) before
    the worker takes a job.

    Imports block the event loop, and Procrastinate's heartbeat runs on that loop: on a
    loaded machine the first crawl's imports took over ``STALLED_AFTER`` (13-14 s measured
    with benchmarks/workers.py), so the other workers took the worker for dead and retried
    its first jobs while it was still crawling them (two runs of one source at once).
    """
    from scrapy.utils.misc import load_object

    settings = scrapy_settings(cluster_crawl_settings(engine, config))
    for name in SCRAPY_COMPONENTS:
        for path, order in settings.getwithbase(name).items():
            if order is None:
                continue
            try:
                load_object(path)
            except Exception as exc:  # the crawl reports it with its own context
                logger.debug("Warm-up could not load %s: %s", path, exc)
    for source in sources.values():
        try:
            spider_class_for(source)
        except ConfigError as exc:  # the source's run records it
            logger.debug("Warm-up could not load the spider of %s: %s", source.id, exc)


class CrawlWorker:
    """One worker process: the Procrastinate worker, alert delivery and the sweeps."""

    def __init__(
        self,
        engine: Engine,
        paths: tuple[Path, Path],
        sources: dict[str, SourceConfig],
        config: AppConfig,
        concurrency: int,
    ) -> None:
        self.engine = engine
        self.paths = paths
        self.sources = sources
        self.config = config
        self.concurrency = concurrency
        self.batcher = DueBatches(
            self._crawl, window=collect_window(config.scheduler.batch_window), limit=concurrency
        )
        self.app: Any = make_app(engine, self.crawl)
        self._stop = asyncio.Event()
        self._wake_dispatch = asyncio.Event()
        self.exit_code = 0

    async def crawl(self, source_id: str) -> None:
        """The job: crawl one source (batched with the jobs that arrive with it)."""
        source = self.sources.get(source_id)
        if source is None or not source.enabled:
            logger.warning("Skipped the queued crawl of %s: not an enabled source here", source_id)
            return
        await self.batcher.run(source_id)

    async def _crawl(self, source_ids: list[str]) -> None:
        sources = [self.sources[sid] for sid in source_ids if sid in self.sources]
        if not sources:
            return
        config = self.config
        await crawl_sources(
            sources,
            engine=self.engine,
            options=CrawlOptions(
                settings=cluster_crawl_settings(self.engine, config), app_config=config
            ),
        )
        self._wake_dispatch.set()

    async def serve(self) -> int:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, close_abandoned_runs, self.engine)
        await self.app.open_async()
        try:
            worker = asyncio.create_task(self._run_jobs())
            side = [
                asyncio.create_task(self._dispatch_loop()),
                asyncio.create_task(self._sweep_loop()),
            ]
            logger.info(
                "Worker started on %s (pid %d, concurrency %d, %d sources known)",
                redact_url(str(self.engine.url)),
                os.getpid(),
                self.concurrency,
                len(self.sources),
            )
            stop = asyncio.create_task(self._stop.wait())
            done, _ = await asyncio.wait({worker, stop}, return_when=asyncio.FIRST_COMPLETED)
            if worker in done and worker.exception() is not None:
                # With its traceback: Procrastinate's "Database error." alone does not say
                # which query failed (the cause is chained).
                logger.error(
                    "The worker stopped: %s", worker.exception(), exc_info=worker.exception()
                )
                self.exit_code = 1
            worker.cancel()  # Procrastinate waits for running jobs (graceful timeout)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker
            stop.cancel()
            abandoned = await self.batcher.cancel()
            if abandoned:
                self._close_interrupted(abandoned)
            for task in side:
                task.cancel()
            await asyncio.gather(*side, return_exceptions=True)
            await self._dispatch()
        finally:
            await self.app.close_async()
        logger.info("Worker stopped")
        return self.exit_code

    async def _run_jobs(self) -> None:
        """Procrastinate's worker; registered again if another process removed it.

        A worker whose heartbeats stopped for ``STALLED_AFTER`` (a blocked event loop, a
        starved process) is taken for dead: its jobs are retried and its row is pruned.
        Its next job fetch then fails on the foreign key to that row, which stopped the
        whole process (exit 1) while it was alive; it now registers again and goes on.
        """
        while True:
            try:
                await self.app.run_worker_async(
                    queues=[QUEUE],
                    name=f"govwatch-worker-{os.getpid()}",
                    concurrency=self.concurrency,
                    install_signal_handlers=False,
                    update_heartbeat_interval=HEARTBEAT_EVERY,
                    stalled_worker_timeout=STALLED_AFTER,
                    shutdown_graceful_timeout=self.config.scheduler.shutdown_timeout.total_seconds(),
                    delete_jobs="successful",
                )
                return
            except Exception as exc:
                if self._stop.is_set() or not _removed_as_stalled(exc):
                    raise
                logger.warning(
                    "Another process took this worker for dead (no heartbeat for %.0f s) and "
                    "removed it; registering again",
                    STALLED_AFTER,
                )

    def request_stop(self, reason: str) -> None:
        logger.info("Stopping (%s): no new jobs; running ones may finish", reason)
        self._stop.set()

    def request_reload(self) -> None:
        try:
            sources, config = load_configuration(*self.paths)
        except ConfigError as exc:
            logger.error("Refused the new configuration, still running the previous one:\n%s", exc)
            return
        self.sources, self.config = sources, config
        logger.info("Reloaded the configuration: %d sources", len(sources))

    def _close_interrupted(self, source_ids: list[str]) -> None:
        reason = "govwatch worker stopped: the crawl did not finish within its shutdown timeout"
        try:
            with transaction(self.engine) as session:
                close_unfinished_runs(
                    session, started_before=utcnow(), reason=reason, source_ids=source_ids
                )
        except SQLAlchemyError as exc:  # the next sweep closes them (storage/run_owners)
            logger.error("Could not close the interrupted runs: %s", describe_error(exc))

    async def _sweep_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            try:
                await loop.run_in_executor(None, close_abandoned_runs, self.engine)
                await retry_stalled_jobs(self.app)
            except Exception as exc:  # the database is away: the next sweep tries again
                logger.warning("The sweep of stalled crawls failed: %s", describe_error(exc))

    async def _dispatch_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.scheduler.dispatch_every.total_seconds()):
                    await self._wake_dispatch.wait()
            self._wake_dispatch.clear()
            await self._dispatch()

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            report = await loop.run_in_executor(None, dispatch_all, self.engine, self.config)
        except (SQLAlchemyError, GovwatchError) as exc:
            logger.error("Alert delivery failed; the alerts stay in the outbox: %s", exc)
            return
        if report.sent or report.retrying or report.failed:
            logger.info(
                "Delivered %d alerts (%d to retry, %d failed)",
                report.sent,
                report.retrying,
                report.failed,
            )


def _removed_as_stalled(exc: BaseException) -> bool:
    """True for the error of a worker whose ``procrastinate_workers`` row was pruned."""
    cause: BaseException | None = exc
    while cause is not None:
        if "procrastinate_jobs_worker_id_fkey" in str(cause):
            return True
        cause = cause.__cause__
    return False


def serve_worker(engine: Engine, paths: tuple[Path, Path], concurrency: int) -> int:
    """Run a worker until stopped; return the exit status."""
    require_postgres(engine)
    sources, config = load_configuration(*paths)
    ensure_queue_schema(engine)
    loop = reactor_loop()  # first: a component's import may need the installed reactor
    warm_up(sources, config, engine)
    worker = CrawlWorker(engine, paths, sources, config, concurrency)
    with forwarded_signals(worker, loop):
        return wait_for(asyncio.run_coroutine_threadsafe(worker.serve(), loop))
