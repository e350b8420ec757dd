"""Scheduler and workers as separate processes: every due source is crawled, never by two
workers at once, and every entry is stored once."""

from __future__ import annotations

import itertools
import json
import signal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from crawler.web.metrics import metrics_registry, render_metrics
from storage.db import transaction
from storage.models import Publication
from tests.cluster.processes import Cluster
from tests.scheduler.daemon import (
    DaemonProcess,
    app_config,
    feed_source,
    finished_runs,
    runs,
    wait_until,
)
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


@pytest.mark.timeout(600)  # its own wait is 120 s; pytest's default would cut it first
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
    shown = json.loads(scheduler.command("status", "--json", "--cluster").stdout)
    assert shown["distributed"] is True
    assert [w["alive"] for w in shown["workers"]] == [True, True]
    assert shown["queue"]["failed"] == 0
    assert "Crawl queue:" in scheduler.command("status").stdout
    scraped = render_metrics(metrics_registry(pg_engine)).decode()
    assert "govwatch_workers_alive 2.0" in scraped
    assert 'govwatch_crawl_queue_jobs{status="failed"} 0.0' in scraped
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


def test_the_distributed_mode_on_sqlite_exits_2_with_one_line(
    tmp_path: Path, pages: PageServer
) -> None:
    process = DaemonProcess(tmp_path, f"sqlite:///{tmp_path / 'gw.sqlite3'}")
    process.write(_feeds(pages), app_config())
    for args in (["worker"], ["run", "--role", "scheduler"]):
        result = process.command(*args)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "the distributed mode" in lines[0]
        assert "needs PostgreSQL" in lines[0]
    shown = json.loads(process.command("status", "--json", "--cluster").stdout)
    assert shown == {"distributed": False, "queue": None, "workers": []}


def test_a_source_added_by_a_reload_is_queued_and_crawled(
    cluster: Cluster, pages: PageServer, pg_engine: Engine
) -> None:
    first = pages.route("/a.xml", Route(rss([sample(1)]), content_type="application/rss+xml"))
    added = pages.route("/b.xml", Route(rss([sample(2)]), content_type="application/rss+xml"))
    cluster.write(feed_source("xx_before", first, every="1s"), app_config())
    scheduler = cluster.scheduler()
    worker = cluster.worker("worker")
    wait_until(lambda: finished_runs(pg_engine, "xx_before"), "the first source's crawl")

    both = {**feed_source("xx_before", first, every="1s"), **feed_source("xx_added", added)}
    cluster.write(both, app_config())
    worker.send(signal.SIGHUP)
    wait_until(lambda: "Reloaded the configuration" in worker.log(), "the worker to reload")
    reloaded = scheduler.command("reload")
    assert reloaded.returncode == 0, reloaded.stderr
    assert "added xx_added" in reloaded.stdout
    wait_until(lambda: finished_runs(pg_engine, "xx_added"), "the added source's crawl")
    assert finished_runs(pg_engine, "xx_added")[0].outcome == "ok"
    assert worker.stop() == 0, worker.log()
    assert scheduler.stop() == 0, scheduler.log()
