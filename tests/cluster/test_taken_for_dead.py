"""A worker that another process took for dead (its heartbeat late, its row pruned) goes on
working instead of exiting on its next job fetch."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, text

from crawler.service.queue import defer_crawl, make_app
from storage.cluster import ensure_queue_schema
from tests.cluster.processes import Cluster
from tests.scheduler.daemon import app_config, feed_source, finished_runs, wait_until
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample


def _workers(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one()
        )


@pytest.mark.timeout(300)
def test_a_worker_removed_as_stalled_registers_again_and_runs_the_next_job(
    cluster: Cluster, pages: PageServer, pg_engine: Engine
) -> None:
    url = pages.route(
        "/feed.xml", Route(rss([sample(1), sample(2)]), content_type="application/rss+xml")
    )
    cluster.write(feed_source("xx_pruned", url, every="1h"), app_config())
    ensure_queue_schema(pg_engine)
    worker = cluster.worker("worker")
    wait_until(lambda: _workers(pg_engine) == 1, "the worker registered", timeout=120)
    with pg_engine.begin() as connection:  # what another process's sweep does to a late worker
        connection.execute(text("DELETE FROM procrastinate_workers"))

    async def queue() -> None:
        app = make_app(pg_engine)
        async with app.open_async():
            await defer_crawl(app, "xx_pruned")

    asyncio.run(queue())
    try:
        wait_until(lambda: finished_runs(pg_engine, "xx_pruned"), "the queued crawl", timeout=120)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{cluster.logs()}") from exc
    assert worker.alive(), worker.log()
    assert "registering again" in worker.log()
    assert _workers(pg_engine) == 1
    assert worker.stop() == 0, worker.log()
