"""Only one ``govwatch run`` per database: a second one refuses to start, naming the first.
SQLite holds a lock file, PostgreSQL an advisory lock; both go away with the process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.scheduler.daemon import DaemonProcess, app_config, feed_source, lease_pid, wait_until
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample


@pytest.fixture
def daemons(tmp_path: Path, engine: Engine) -> Iterator[tuple[DaemonProcess, DaemonProcess]]:
    url = engine.url.render_as_string(hide_password=False)
    first, second = DaemonProcess(tmp_path, url, "first"), DaemonProcess(tmp_path, url, "second")
    yield first, second
    first.kill()
    second.kill()


def test_a_second_daemon_on_the_same_database_refuses_to_start(
    daemons: tuple[DaemonProcess, DaemonProcess], pages: PageServer, engine: Engine
) -> None:
    first, second = daemons
    url = pages.route("/feed.xml", Route(rss([sample(1)]), content_type="application/rss+xml"))
    first.write(feed_source("xx_locked", url, every="1h"), app_config())
    first.start()
    wait_until(lambda: lease_pid(engine) == first.pid, "the first daemon to take the lock")

    refused = second.command("run")
    assert refused.returncode == 1
    assert "another `govwatch run` already schedules crawls on" in refused.stderr
    assert f"pid {first.pid} on " in refused.stderr
    assert "Only one scheduler may run per database" in refused.stderr

    assert first.stop() == 0
    second.start()  # the lock is free again
    wait_until(lambda: lease_pid(engine) == second.pid, "the second daemon to take the lock")
    assert second.stop() == 0
