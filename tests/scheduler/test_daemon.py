"""``govwatch run`` as a real process: repeated runs without overlap, restart without a
stampede, graceful and immediate stops, reload, /healthz, structured log lines."""

from __future__ import annotations

import itertools
import json
import signal
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.db import transaction
from storage.models import CrawlRun, utcnow
from storage.runs import start_run
from storage.sources import sync_sources
from tests.scheduler.daemon import (
    DaemonProcess,
    app_config,
    feed_source,
    finished_runs,
    lease_pid,
    runs,
    source_row,
    wait_until,
)
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample

FEED = "application/rss+xml"


@pytest.fixture
def daemon(tmp_path: Path, sqlite_engine: Engine) -> Iterator[DaemonProcess]:
    process = DaemonProcess(tmp_path, str(sqlite_engine.url.render_as_string(False)))
    yield process
    process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_source_every_second_runs_repeatedly_without_overlap(
    daemon: DaemonProcess, pages: PageServer, sqlite_engine: Engine
) -> None:
    # Each crawl takes longer than the interval: max_instances=1 must skip, not overlap.
    url = pages.route("/slowish.xml", Route(rss([sample(1)]), content_type=FEED, delay=1.2))
    port = free_port()
    daemon.write(feed_source("xx_every_second", url), app_config(scheduler={"healthz_port": port}))
    daemon.start()

    done = wait_until(lambda: len(finished_runs(sqlite_engine, "xx_every_second")) >= 3, "3 runs")
    status, body = get(f"http://127.0.0.1:{port}/healthz")
    assert (status, body) == (200, {"status": "ok", "scheduler": "running", "database": "ok"})
    assert get(f"http://127.0.0.1:{port}/other")[0] == 404
    assert daemon.stop() == 0

    ordered = sorted(runs(sqlite_engine, "xx_every_second"), key=lambda run: run.started_at)
    assert done
    assert all(run.finished_at is not None for run in ordered)
    for earlier, later in itertools.pairwise(ordered):
        assert earlier.finished_at is not None
        assert later.started_at >= earlier.finished_at, "two runs of one source overlapped"
    log = daemon.log()
    assert "Crawled xx_every_second: ok, 1 items, 1 new" in log
    assert "source_id=xx_every_second" in log
    assert "outcome=not_modified http_statuses={'304': 1} items=0 new=0 duration=" in log


def test_restart_resumes_from_the_last_runs_without_a_stampede(
    daemon: DaemonProcess, pages: PageServer, sqlite_engine: Engine
) -> None:
    hourly = pages.route("/hourly.xml", Route(rss([sample(1)]), content_type=FEED))
    overdue = pages.route("/overdue.xml", Route(rss([sample(2)]), content_type=FEED))
    fresh = pages.route("/fresh.xml", Route(rss([sample(3)]), content_type=FEED))
    daemon.write(feed_source("xx_hourly", hourly, every="1h"), app_config())
    daemon.start()
    wait_until(lambda: finished_runs(sqlite_engine, "xx_hourly"), "the first hourly run")
    assert daemon.stop() == 0
    last_run = finished_runs(sqlite_engine, "xx_hourly")[-1]

    # While govwatch was down, another source's last run became two hours old.
    with transaction(sqlite_engine) as session:
        sync_sources(session, [("xx_overdue", "Overdue")])
        run_id = start_run(session, "xx_overdue", is_baseline=False)
        session.get_one(CrawlRun, run_id).started_at = utcnow() - timedelta(hours=2)
    daemon.write(
        {
            **feed_source("xx_hourly", hourly, every="1h"),
            **feed_source("xx_overdue", overdue, every="1h"),
            **feed_source("xx_fresh", fresh, every="1h"),
        }
    )
    daemon.start()
    wait_until(lambda: finished_runs(sqlite_engine, "xx_fresh"), "the new source's first run")
    wait_until(lambda: finished_runs(sqlite_engine, "xx_overdue"), "the overdue source's run")
    assert daemon.stop() == 0

    assert [run.id for run in runs(sqlite_engine, "xx_hourly")] == [last_run.id]
    assert len(pages.hits("/hourly.xml")) == 1
    row = source_row(sqlite_engine, "xx_hourly")
    assert row is not None
    assert row.next_run_at is not None
    assert row.next_run_at >= last_run.started_at + timedelta(hours=1)


def test_sigterm_during_a_slow_crawl_lets_it_finish_and_exits_0(
    daemon: DaemonProcess, pages: PageServer, sqlite_engine: Engine
) -> None:
    url = pages.route("/slow.xml", Route(rss([sample(1)]), content_type=FEED, delay=3))
    daemon.write(feed_source("xx_slow", url, every="1h"), app_config())
    daemon.start()
    wait_until(lambda: pages.hits("/slow.xml"), "the slow request to arrive")

    daemon.send(signal.SIGTERM)
    assert daemon.wait() == 0

    (run,) = runs(sqlite_engine, "xx_slow")
    assert (run.outcome, run.items_new) == ("ok", 1)
    assert run.finished_at is not None
    log = daemon.log()
    assert "Stopping (SIGTERM): no new crawls; waiting up to 30s for 1 in flight" in log
    assert log.rstrip().endswith("Stopped")


def test_a_second_signal_exits_at_once_and_leaves_the_database_sound(
    daemon: DaemonProcess, pages: PageServer, sqlite_engine: Engine
) -> None:
    url = pages.route("/stuck.xml", Route(rss([sample(1)]), content_type=FEED, delay=20))
    daemon.write(feed_source("xx_stuck", url, every="1h"), app_config())
    daemon.start()
    wait_until(lambda: pages.hits("/stuck.xml"), "the stuck request to arrive")
    daemon.send(signal.SIGTERM)
    wait_until(lambda: "Stopping (SIGTERM)" in daemon.log(), "the graceful stop to begin")

    daemon.send(signal.SIGTERM)
    assert daemon.wait() == 128 + signal.SIGTERM
    assert "second stop signal, exiting now" in daemon.log()

    with sqlite_engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert [run.outcome for run in runs(sqlite_engine, "xx_stuck")] == ["running"]
    daemon.start()  # the lock went with the process
    wait_until(lambda: lease_pid(sqlite_engine) == daemon.pid, "the restart to take the lock")
    assert daemon.stop() == 0


def test_reload_adds_removes_reschedules_and_refuses_a_bad_config(
    daemon: DaemonProcess, pages: PageServer, sqlite_engine: Engine
) -> None:
    first = pages.route("/a.xml", Route(rss([sample(1)]), content_type=FEED))
    second = pages.route("/b.xml", Route(rss([sample(2)]), content_type=FEED))
    daemon.write(feed_source("xx_first", first, every="1h"), app_config())
    daemon.start()
    wait_until(lambda: finished_runs(sqlite_engine, "xx_first"), "the first source's run")

    daemon.write({**feed_source("xx_first", first, every="1h"), **feed_source("xx_second", second)})
    reload = daemon.command("reload")
    assert (reload.returncode, reload.stdout.strip()) == (
        0,
        f"pid {daemon.pid}: reloaded: added xx_second",
    ), reload.stderr
    wait_until(lambda: finished_runs(sqlite_engine, "xx_second"), "the added source's run")

    bad = daemon.sources_path.read_text(encoding="utf-8").replace("schedule:", "shedule:", 1)
    daemon.sources_path.write_text(bad, encoding="utf-8")
    refused = daemon.command("reload")
    assert refused.returncode == 2
    assert "shedule: unknown field" in refused.stderr
    daemon.send(signal.SIGHUP)  # the daemon checks for itself, too
    wait_until(lambda: "Refused the new configuration" in daemon.log(), "the refusal")
    count = len(finished_runs(sqlite_engine, "xx_second"))
    wait_until(
        lambda: len(finished_runs(sqlite_engine, "xx_second")) > count,
        "the old configuration to keep running",
    )

    daemon.write(feed_source("xx_second", second, every="2h"))
    reload = daemon.command("reload")
    assert reload.stdout.strip() == (
        f"pid {daemon.pid}: reloaded: removed xx_first; rescheduled xx_second"
    ), reload.stderr
    removed, rescheduled = (source_row(sqlite_engine, sid) for sid in ("xx_first", "xx_second"))
    assert removed is not None
    assert removed.next_run_at is None
    assert rescheduled is not None
    assert rescheduled.next_run_at is not None
    assert rescheduled.next_run_at > utcnow() + timedelta(hours=1)
    assert daemon.stop() == 0
