"""``/metrics`` on the daemon's ``/healthz`` port: the same numbers as the web app's."""

from __future__ import annotations

import asyncio
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from crawler.service.healthz import serve_healthz
from crawler.web.metrics import healthz_metrics
from tests.web.conftest import SEED, Seeded


async def _healthy() -> tuple[bool, dict[str, str]]:
    return True, {"status": "ok"}


def _get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


def test_healthz_port_serves_metrics_read_from_the_database(seeded: Seeded) -> None:
    async def scenario() -> tuple[int, str, str]:
        server = await serve_healthz("127.0.0.1", 0, _healthy, healthz_metrics(seeded.engine))
        port = server.sockets[0].getsockname()[1]
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, _get, f"http://127.0.0.1:{port}/metrics")
        finally:
            server.close()
            await server.wait_closed()

    status, content_type, text = asyncio.run(scenario())
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    pending = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "govwatch_alerts" and sample.labels["status"] == "pending"
    ]
    assert pending == [len(SEED) - 2]
