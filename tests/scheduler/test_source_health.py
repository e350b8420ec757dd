"""Source health through real crawls: a source that starts serving 500s goes ok → failing →
broken with one ops alert per change and one on recovery; a page that starts returning no
items is an ``empty`` run; ``govwatch status`` reports it all and fails when one is broken."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crawler.app_config import AppConfig, HealthSettings
from storage.db import transaction
from storage.models import Source
from tests.crawling import crawl
from tests.scheduler.daemon import (
    DaemonProcess,
    app_config,
    feed_source,
    finished_runs,
    ops_alerts,
    source_row,
    state_of,
    wait_until,
)
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample
from tests.spiders.test_list_page_spider import beijing_like, page


@pytest.fixture
def daemon(tmp_path: Path, sqlite_engine: Engine) -> Iterator[DaemonProcess]:
    process = DaemonProcess(tmp_path, sqlite_engine.url.render_as_string(False))
    yield process
    process.kill()


def failures(engine: Engine, source_id: str) -> int:
    row = source_row(engine, source_id)
    return row.consecutive_failures if row else 0


def test_500s_go_failing_then_broken_and_recover_with_one_alert_per_change(
    daemon: DaemonProcess, pages: PageServer, sqlite_engine: Engine
) -> None:
    route = Route(rss([sample(2), sample(1)]), content_type="application/rss+xml")
    url = pages.route("/feed.xml", route)
    daemon.write(feed_source("xx_flaky", url), app_config())  # failing 2, broken 4
    daemon.start()
    wait_until(lambda: state_of(sqlite_engine, "xx_flaky") == "ok", "the first good run")

    route.status = 500
    wait_until(lambda: state_of(sqlite_engine, "xx_flaky") == "failing", "failing")
    wait_until(lambda: state_of(sqlite_engine, "xx_flaky") == "broken", "broken")
    wait_until(lambda: failures(sqlite_engine, "xx_flaky") >= 6, "two more failed runs")

    status = daemon.command("status", "--json")
    assert status.returncode == 1, status.stderr
    (entry,) = [json.loads(line) for line in status.stdout.splitlines()]
    assert entry["state"] == "broken"
    assert entry["last_outcome"] == "http_error"
    assert "HTTP 500" in entry["last_error"]
    assert entry["next_run_at"] is not None
    table = daemon.command("status")
    assert table.returncode == 1
    assert "xx_flaky" in table.stdout
    assert "broken" in table.stdout

    route.status = 200
    wait_until(lambda: state_of(sqlite_engine, "xx_flaky") == "ok", "the recovery")
    recovered_at = len(finished_runs(sqlite_engine, "xx_flaky"))
    wait_until(
        lambda: len(finished_runs(sqlite_engine, "xx_flaky")) >= recovered_at + 2,
        "two good runs after the recovery",
    )
    assert daemon.command("status").returncode == 0
    assert daemon.stop() == 0

    alerts = ops_alerts(sqlite_engine)
    assert [alert.payload["state"] for alert in alerts] == ["failing", "broken", "ok"]
    assert all(alert.status == "sent" for alert in alerts), "pending ops alerts were not flushed"
    failing, broken, ok = (alert.payload["text"] for alert in alerts)
    assert failing.startswith("xx_flaky is failing: 2 failed runs in a row; last: http_error")
    assert "HTTP 500" in failing
    assert "HTTP 500" in broken
    assert broken.startswith("xx_flaky is broken: 4 failed runs in a row")
    assert ok.startswith("xx_flaky recovered: not_modified after ")
    shown = daemon.output()
    assert "xx_flaky is failing" in shown
    assert "xx_flaky recovered" in shown
    assert "Backed off xx_flaky" in daemon.log()


def test_a_page_that_starts_returning_no_items_is_an_empty_run(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    route = Route(page().encode("utf-8"))
    source = beijing_like(pages.route("/zhengce/", route))
    config = AppConfig(health=HealthSettings(failing_after=2, broken_after=3))
    assert crawl(source, sqlite_engine, app_config=config)[0].outcome == "ok"

    # A redesign: the page still answers 200, but the list is gone.
    route.body = b"<html><body><div class='new-layout'><p>News</p></div></body></html>"
    first, second = (crawl(source, sqlite_engine, app_config=config)[0] for _ in range(2))
    assert (first.outcome, second.outcome) == ("empty", "empty")
    assert first.http_statuses == {"200": 1}
    assert first.error is not None
    assert "no rows matched" in first.error
    assert "govwatch check cn_test_list" in first.error
    with transaction(sqlite_engine) as session:
        row = session.get_one(Source, "cn_test_list")
        assert (row.state, row.consecutive_failures) == ("failing", 2)
        assert row.state_reason is not None
        assert "last: empty" in row.state_reason
    assert [alert.payload["state"] for alert in ops_alerts(sqlite_engine)] == ["failing"]
