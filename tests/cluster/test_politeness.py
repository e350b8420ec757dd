"""Politeness holds across workers: two worker processes crawling many sources of one host
never send it more requests at once than the configured per-host concurrency."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from sqlalchemy import Engine

from tests.cluster.processes import Cluster
from tests.scheduler.daemon import (
    CRAWL_SETTINGS,
    app_config,
    feed_source,
    finished_runs,
    wait_until,
)
from tests.servers.local import LocalServer
from tests.spiders.test_feed_spider import rss, sample

SOURCES = 8
HOLD = 0.3  # each answer takes this long, so overlapping requests really overlap


class CountingServer(LocalServer):
    """Feeds that answer slowly; counts the requests in progress per Host header."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.total = 0
        super().__init__(_handler(self))

    def enter(self, host: str) -> None:
        with self.lock:
            self.current[host] = self.current.get(host, 0) + 1
            self.most[host] = max(self.most.get(host, 0), self.current[host])
            self.total += 1

    def leave(self, host: str) -> None:
        with self.lock:
            self.current[host] -= 1


def _handler(server: CountingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").split(":")[0]
            server.enter(host)
            try:
                time.sleep(HOLD)
                n = int(self.path.strip("/").removesuffix(".xml").removeprefix("feed"))
                body = rss([sample(n + 1)])
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            finally:
                server.leave(host)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def test_per_host_concurrency_holds_across_two_workers(cluster: Cluster, pg_engine: Engine) -> None:
    with CountingServer() as server:
        sources: dict[str, object] = {}
        for n in range(SOURCES):
            sources.update(feed_source(f"xx_polite_{n}", f"{server.base_url}/feed{n}.xml"))
        settings = {**CRAWL_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}
        cluster.write(sources, app_config(scheduler={"crawl_settings": settings}))
        scheduler = cluster.scheduler()
        workers = [cluster.worker("worker-a"), cluster.worker("worker-b")]
        ids = [f"xx_polite_{n}" for n in range(SOURCES)]
        wait_until(
            lambda: all(len(finished_runs(pg_engine, sid)) >= 2 for sid in ids),
            "two finished runs of every source",
            timeout=180,
        )
        for worker in workers:
            assert worker.stop() == 0, worker.log()
        assert scheduler.stop() == 0, scheduler.log()
        assert server.total >= 2 * SOURCES
        assert server.most == {"127.0.0.1": 1}, server.most
