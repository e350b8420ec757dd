"""``govwatch run`` rides out its PostgreSQL server going away for a while.

The daemon talks to PostgreSQL through a TCP proxy that the test cuts (every connection
closed, new ones refused) and restores, as a server restart or a network cut does. The
test itself reads the database directly, so it sees what the daemon wrote before, during
and after. Expected: the daemon never exits, its log has no traceback and one line for the
outage, the runs the outage broke are recorded as ``interrupted`` naming the database, ops
get one notice, and the scheduler lock is held again afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from storage.db import make_engine, upgrade
from tests.conftest import _PG_REASON, POSTGRES_URL
from tests.faults.proxy import TcpProxy
from tests.scheduler.daemon import (
    DaemonProcess,
    app_config,
    feed_source,
    finished_runs,
    lease_pid,
    ops_alerts,
    runs,
    wait_until,
)
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample

FEED = "application/rss+xml"
# The length of the cut the test makes (not a timing it asserts); 60 for the one-minute case.
OUTAGE_SECONDS = float(os.environ.get("GOVWATCH_TEST_OUTAGE_SECONDS", "8"))


@pytest.fixture
def schema() -> Iterator[str]:
    if _PG_REASON:
        pytest.skip(_PG_REASON)
    name = f"gw_outage_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def direct(schema: str) -> Iterator[Engine]:
    """The test's own connection to the schema, not through the proxy."""
    engine = make_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    url = make_url(POSTGRES_URL)
    tcp = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    tcp.start()
    yield tcp
    tcp.stop()


def test_the_daemon_rides_out_a_database_outage(
    tmp_path: Path, schema: str, direct: Engine, proxy: TcpProxy, pages: PageServer
) -> None:
    steady = pages.route("/steady.xml", Route(rss([sample(1)]), content_type=FEED))
    slow = pages.route("/slow.xml", Route(rss([sample(2)]), content_type=FEED, delay=6))
    through_proxy = make_url(POSTGRES_URL).set(host="127.0.0.1", port=proxy.port)
    url = f"{through_proxy.render_as_string(False)}?options=-csearch_path%3D{schema}"
    daemon = DaemonProcess(tmp_path, url)
    daemon.write(
        {**feed_source("xx_steady", steady), **feed_source("xx_slow", slow, every="1h")},
        app_config(scheduler={"heartbeat_every": "1s"}),
    )
    daemon.start()
    try:
        # Cut as soon as the slow crawl is in flight: its answer arrives while the database
        # is gone (the steady source may share its crawl; it is cut off the same way).
        wait_until(lambda: pages.hits("/slow.xml"), "the slow crawl to be in flight")
        proxy.stop()
        assert [run.outcome for run in runs(direct, "xx_slow")] == ["running"]
        wait_until(lambda: "is unreachable" in daemon.log(), "the daemon to notice")
        steady_requests = len(pages.hits("/steady.xml"))
        time.sleep(OUTAGE_SECONDS)
        assert daemon.process is not None
        assert daemon.process.poll() is None, daemon.log()
        # The steady source is due every second: no crawl of it starts while the database
        # is lost (docs/operations.md).
        assert len(pages.hits("/steady.xml")) == steady_requests, "a crawl started in the outage"
        proxy.start()

        wait_until(lambda: "reachable again" in daemon.log(), "the daemon to reconnect")
        before = len(finished_runs(direct, "xx_steady"))
        wait_until(lambda: len(finished_runs(direct, "xx_steady")) > before + 1, "new runs")
        wait_until(lambda: lease_pid(direct) == daemon.pid, "the lease to name the daemon")

        # The lock is really held again: a second scheduler is refused.
        second = DaemonProcess(tmp_path, url, "second")
        refused = second.command("run")
        assert refused.returncode == 1, refused.stderr
        assert "another `govwatch run` already schedules crawls" in refused.stderr
        assert daemon.stop() == 0
    finally:
        daemon.kill()

    log = daemon.log()
    assert "Traceback" not in log, log
    assert log.count("is unreachable") == 1, log
    assert log.count("reachable again") == 1, log
    (slow_run,) = runs(direct, "xx_slow")
    assert slow_run.outcome == "interrupted"
    assert slow_run.error is not None
    assert "govwatch's database" in slow_run.error
    assert "was unreachable" in slow_run.error
    steady_runs = runs(direct, "xx_steady")
    assert all(run.finished_at is not None for run in steady_runs)
    broken = [run for run in steady_runs if run.outcome == "interrupted"]
    assert broken, "the steady source's scheduled runs during the outage left no record"
    assert all("was unreachable" in (run.error or "") for run in broken)
    notices = [row for row in ops_alerts(direct) if row.payload.get("state") == "database"]
    assert len(notices) == 1
    assert "govwatch lost its database" in notices[0].payload["text"]
    assert "It kept running, re-took its scheduler lock" in notices[0].payload["text"]
    assert notices[0].status == "sent", "the notice is delivered once the database is back"
