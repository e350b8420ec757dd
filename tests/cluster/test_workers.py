"""Scheduler and workers as separate processes: every due source is crawled, never by two
workers at once, and every entry is stored once."""

from __future__ import annotations

import itertools

from sqlalchemy import Engine, func, select

from storage.db import transaction
from storage.models import Publication
from tests.cluster.processes import Cluster
from tests.scheduler.daemon import app_config, feed_source, finished_runs, runs, wait_until
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample

SOURCES = 8


def _feeds(pages: PageServer, every: str = "1s") -> dict[str, object]:
    sources: dict[str, object] = {}
    for n in range(SOURCES):
        url = pages.route(
            f"/feed{n}.xml",
            Route(
                rss([sample(n * 3 + k + 1) for k in range(3)]), content_type="application/rss+xml"
            ),
        )
        sources.update(feed_source(f"xx_cluster_{n}", url, every=every))
    return sources


def test_two_workers_racing_for_the_same_jobs_never_crawl_a_source_twice_at_once(
    cluster: Cluster, pages: PageServer, pg_engine: Engine
) -> None:
    cluster.write(_feeds(pages), app_config())
    scheduler = cluster.scheduler()
    workers = [cluster.worker("worker-a"), cluster.worker("worker-b")]
    ids = [f"xx_cluster_{n}" for n in range(SOURCES)]
    try:
        wait_until(
            lambda: all(len(finished_runs(pg_engine, sid)) >= 3 for sid in ids),
            "three finished runs of every source",
            timeout=120,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{cluster.logs()}") from exc
    for worker in workers:
        assert worker.stop() == 0, worker.log()
    assert scheduler.stop() == 0, scheduler.log()

    for source_id in ids:
        recorded = runs(pg_engine, source_id)
        assert all(run.outcome != "running" for run in recorded), source_id
        for before, after in itertools.pairwise(recorded):
            assert before.finished_at is not None
            assert after.started_at >= before.finished_at, (
                f"{source_id}: run {after.id} started while run {before.id} was running"
            )
    with transaction(pg_engine) as session:
        stored = session.scalar(select(func.count()).select_from(Publication))
    assert stored == SOURCES * 3  # each entry once, however many runs saw it
