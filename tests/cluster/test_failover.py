"""Processes die the way they do in production (SIGKILL): a standby scheduler takes over,
and a worker's half-done crawl is retried by another worker and recorded once."""

from __future__ import annotations

import signal

from sqlalchemy import Engine, func, select

from storage.db import transaction
from storage.models import Publication
from tests.cluster.processes import Cluster, job_statuses
from tests.scheduler.daemon import app_config, feed_source, lease_pid, runs, wait_until
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample


def test_killing_the_leader_makes_the_standby_scheduler_take_over(
    cluster: Cluster, pages: PageServer, pg_engine: Engine
) -> None:
    url = pages.route("/feed.xml", Route(rss([sample(1)]), content_type="application/rss+xml"))
    cluster.write(feed_source("xx_leader", url, every="1s"), app_config())
    leader = cluster.scheduler("leader")
    wait_until(lambda: lease_pid(pg_engine) == leader.pid, "the first scheduler to lead")
    standby = cluster.scheduler("standby")
    wait_until(lambda: "Standby:" in standby.log(), "the second scheduler to stand by")
    assert standby.alive()
    worker = cluster.worker("worker")
    wait_until(lambda: len(runs(pg_engine, "xx_leader")) >= 1, "a first crawl")

    leader.send(signal.SIGKILL)
    leader.wait()
    wait_until(lambda: lease_pid(pg_engine) == standby.pid, "the standby to take the lease")
    # the lease row is visible before the process has written its log line about it
    wait_until(lambda: "Took over as the scheduler" in standby.log(), "the take-over logged")
    seen = len(runs(pg_engine, "xx_leader"))
    wait_until(
        lambda: len(runs(pg_engine, "xx_leader")) >= seen + 2,
        "crawls queued by the new leader",
    )
    assert worker.stop() == 0, worker.log()
    assert standby.stop() == 0, standby.log()


def test_a_worker_killed_mid_crawl_leaves_the_job_to_another_worker_and_one_good_run(
    cluster: Cluster, pages: PageServer, pg_engine: Engine
) -> None:
    # The feed answers slowly, so the first worker is surely in the middle of the crawl
    # when it is killed; the source runs once an hour, so only a retry crawls it again.
    url = pages.route(
        "/slow.xml",
        Route(rss([sample(1), sample(2)]), content_type="application/rss+xml", delay=3.0),
    )
    cluster.write(feed_source("xx_killed", url, every="1h"), app_config())
    scheduler = cluster.scheduler()
    first = cluster.worker("first")
    wait_until(lambda: pages.hits("/slow.xml"), "the first worker to fetch the feed")
    first.send(signal.SIGKILL)
    first.wait()
    second = cluster.worker("second")

    def settled() -> bool:
        recorded = runs(pg_engine, "xx_killed")
        return [run.outcome for run in recorded] == ["interrupted", "ok"]

    try:
        wait_until(settled, "one interrupted and one good run", timeout=120)
    except AssertionError as exc:
        outcomes = [r.outcome for r in runs(pg_engine, "xx_killed")]
        raise AssertionError(f"{exc}: {outcomes}\n{cluster.logs()}") from exc
    wait_until(lambda: job_statuses(pg_engine).get("doing", 0) == 0, "no job left running")
    assert second.stop() == 0, second.log()
    assert scheduler.stop() == 0, scheduler.log()

    interrupted, good = runs(pg_engine, "xx_killed")
    assert interrupted.error is not None
    assert "stopped before it finished" in interrupted.error
    assert good.items_new == 2
    assert job_statuses(pg_engine).get("todo", 0) == 0
    assert "its worker stopped sending heartbeats" in scheduler.log() + second.log()
    with transaction(pg_engine) as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 2
