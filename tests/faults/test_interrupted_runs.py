"""Runs left ``running`` by a killed process are closed as ``interrupted`` at the next start
of ``govwatch crawl`` or ``govwatch run`` — and a live process's run is never closed.

A local server stalls its answer, so each crawl below is really in flight when it is killed
with SIGKILL; nothing is arranged in the database by hand.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.scheduler.daemon import DaemonProcess, app_config, feed_source, runs, wait_until
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample

FEED = "application/rss+xml"
SETTINGS = {"AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0, "ROBOTSTXT_OBEY": False}


class Crawls(DaemonProcess):
    """``govwatch crawl`` processes on one config and database; the files, the environment
    and :meth:`command` are the daemon helper's."""

    def __init__(self, workdir: Path, database_url: str) -> None:
        super().__init__(workdir, database_url, name="crawl")
        self.processes: list[subprocess.Popen[str]] = []

    def write(self, sources: dict[str, Any], config: dict[str, Any] | None = None) -> None:
        super().write(sources, config or app_config(scheduler={"crawl_settings": SETTINGS}))

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """A command left running in the background (killed by the test, or at teardown)."""
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler", *args],
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


@pytest.fixture
def crawls(tmp_path: Path, engine: Engine) -> Iterator[Crawls]:
    runner = Crawls(tmp_path, engine.url.render_as_string(hide_password=False))
    yield runner
    runner.kill_all()


def outcomes(engine: Engine, source_id: str) -> list[str]:
    return [run.outcome for run in runs(engine, source_id)]


def test_a_killed_crawl_is_closed_as_interrupted_but_a_live_one_is_not(
    crawls: Crawls, pages: PageServer, engine: Engine
) -> None:
    stalled = pages.route("/stalled.xml", Route(rss([sample(1)]), content_type=FEED, delay=120))
    live = pages.route("/live.xml", Route(rss([sample(2)]), content_type=FEED, delay=120))
    quick = pages.route("/quick.xml", Route(rss([sample(3)]), content_type=FEED))
    crawls.write(
        {
            **feed_source("xx_killed", stalled),
            **feed_source("xx_live", live),
            **feed_source("xx_quick", quick),
        }
    )
    killed = crawls.spawn("crawl", "xx_killed")
    crawls.spawn("crawl", "xx_live")
    wait_until(lambda: pages.hits("/stalled.xml"), "the killed crawl to be in flight")
    wait_until(lambda: pages.hits("/live.xml"), "the live crawl to be in flight")
    assert outcomes(engine, "xx_killed") == ["running"]
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)

    result = crawls.command("crawl", "xx_quick", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "ok"
    assert "Traceback" not in result.stderr

    (closed,) = runs(engine, "xx_killed")
    assert (closed.outcome, closed.error) == (
        "interrupted",
        "the process running this crawl stopped before it finished",
    )
    assert closed.finished_at is not None
    assert outcomes(engine, "xx_live") == ["running"], "a live crawl's run was closed"
    assert "Closed 1 runs left running by a stopped process as interrupted: xx_killed" in (
        result.stderr
    )

    status = crawls.command("status", "--json")
    rows = {row["source"]: row for row in map(json.loads, status.stdout.splitlines())}
    assert rows["xx_killed"]["last_outcome"] == "interrupted"
    assert rows["xx_killed"]["state"] == "new", "an interrupted run says nothing of the source"


def test_the_daemon_closes_a_killed_crawl_at_start(
    tmp_path: Path, crawls: Crawls, pages: PageServer, engine: Engine
) -> None:
    stalled = pages.route("/stalled.xml", Route(rss([sample(1)]), content_type=FEED, delay=120))
    quiet = pages.route("/quiet.xml", Route(rss([sample(2)]), content_type=FEED))
    crawls.write(feed_source("xx_killed", stalled, every="1h"))
    killed = crawls.spawn("crawl", "xx_killed")
    wait_until(lambda: pages.hits("/stalled.xml"), "the crawl to be in flight")
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert outcomes(engine, "xx_killed") == ["running"]

    daemon = DaemonProcess(tmp_path, crawls.database_url)
    daemon.write(feed_source("xx_quiet", quiet, every="1h"), app_config())
    daemon.start()
    try:
        wait_until(lambda: outcomes(engine, "xx_killed") == ["interrupted"], "the close")
        assert daemon.stop() == 0
    finally:
        daemon.kill()
    assert "Closed 1 runs left running by a stopped process as interrupted" in daemon.log()
    assert "Traceback" not in daemon.log()
