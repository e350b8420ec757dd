"""The crawl queue: one Procrastinate app per process, and how a crawl job is deferred.

One job per source (``crawl_source``, argument ``source_id``). Two Procrastinate locks make
"never two crawls of a source at once" hold across workers: ``lock`` (one job of a lock
runs at a time) and ``queueing_lock`` (at most one job of a source waits in the queue, so a
slow cluster does not pile up copies). A worker killed in the middle of a job leaves it
``doing``; :func:`retry_stalled_jobs` (run by the scheduler and every worker) hands it to
another worker once the dead one's heartbeat is older than ``STALLED_AFTER``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Engine

from storage.cluster import STALLED_AFTER, libpq_conninfo

logger = logging.getLogger(__name__)

QUEUE = "govwatch_crawls"
TASK_NAME = "govwatch.crawl_source"
HEARTBEAT_EVERY = 2.0  # seconds between a worker's heartbeats
SWEEP_EVERY = 3.0  # how often the scheduler and workers look for stalled jobs
MAX_ATTEMPTS = 5  # a crawl that raises (database lost) is retried this many times


def lock_of(source_id: str) -> str:
    return f"govwatch-source:{source_id}"


def make_app(engine: Engine, crawl: Callable[[str], Awaitable[None]] | None = None) -> Any:
    """A Procrastinate app on ``engine``'s database (and schema); with ``crawl``, the task
    runs it (a worker), without, the app only defers (the scheduler)."""
    import procrastinate

    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_conninfo(engine), min_size=1, max_size=8
    )
    app = procrastinate.App(connector=connector)

    async def crawl_source(source_id: str) -> None:
        if crawl is None:
            raise RuntimeError("this process only defers crawls")
        await crawl(source_id)

    app.task(
        name=TASK_NAME,
        queue=QUEUE,
        retry=procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS, wait=5),
        pass_context=False,
    )(crawl_source)
    return app


async def defer_crawl(app: Any, source_id: str) -> bool:
    """Queue one crawl of a source; False when one is already waiting (queueing lock)."""
    from procrastinate.exceptions import AlreadyEnqueued

    lock = lock_of(source_id)
    deferrer = app.configure_task(TASK_NAME, queue=QUEUE, lock=lock, queueing_lock=lock)
    try:
        await deferrer.defer_async(source_id=source_id)
    except AlreadyEnqueued:
        return False
    return True


async def retry_stalled_jobs(app: Any) -> int:
    """Give the jobs of dead workers (no heartbeat for ``STALLED_AFTER``) to live ones."""
    from procrastinate.exceptions import ProcrastinateException

    manager = app.job_manager
    retried = 0
    for job in await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=STALLED_AFTER):
        try:
            await manager.retry_job(job)
        except ProcrastinateException as exc:  # another sweeper retried it first
            logger.debug("Job %s was retried elsewhere: %s", job.id, exc)
            continue
        retried += 1
        logger.warning(
            "Retrying the crawl of %s (job %s): its worker stopped sending heartbeats",
            job.task_kwargs.get("source_id"),
            job.id,
        )
    await manager.prune_stalled_workers(seconds_since_heartbeat=STALLED_AFTER)
    return retried
