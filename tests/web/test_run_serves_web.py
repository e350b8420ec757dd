"""``govwatch run`` with ``web.enabled`` serves the app in-process, and /metrics on the
/healthz port, and stops both when it stops."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from tests.scheduler.daemon import DaemonProcess, app_config, feed_source, wait_until
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample


@pytest.fixture
def daemon(tmp_path: Path, sqlite_engine: Engine) -> Iterator[DaemonProcess]:
    process = DaemonProcess(tmp_path, str(sqlite_engine.url.render_as_string(False)))
    yield process
    process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode())
    except (urllib.error.URLError, ConnectionError):
        return None


def test_run_serves_the_web_app_and_metrics(daemon: DaemonProcess, pages: PageServer) -> None:
    feed = pages.route("/feed.xml", Route(rss([sample(1)]), content_type="application/rss+xml"))
    web_port, healthz_port = free_port(), free_port()
    daemon.write(
        feed_source("xx_web_feed", feed, every="1h"),
        app_config(
            scheduler={"healthz_port": healthz_port}, web={"enabled": True, "port": web_port}
        ),
    )
    daemon.start()
    assert wait_until(
        lambda: "xx_web_feed" in (fetch(f"http://127.0.0.1:{web_port}/") or ""),
        "first crawl listed",
    )
    sources = fetch(f"http://127.0.0.1:{web_port}/sources") or ""
    assert 'href="/?source=xx_web_feed"' in sources
    metrics = fetch(f"http://127.0.0.1:{healthz_port}/metrics") or ""
    names = {family.name for family in text_string_to_metric_families(metrics)}
    assert {"govwatch_runs", "govwatch_sources", "govwatch_alerts"} <= names
    assert daemon.stop() == 0
    assert fetch(f"http://127.0.0.1:{web_port}/") is None
