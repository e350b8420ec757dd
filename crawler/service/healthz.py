"""``/healthz`` for process supervisors: a tiny HTTP answer on the daemon's own loop.

200 with ``{"status": "ok", "scheduler": …, "database": …}`` when the probe says healthy,
503 when not; ``/metrics`` the Prometheus text when a metrics source is given; 404 for any
other path. It runs on the reactor's asyncio loop, so an answer
also proves that loop is not stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

from crawler.errors import StorageError

Probe = Callable[[], Awaitable[tuple[bool, dict[str, str]]]]
Metrics = Callable[[], Awaitable[bytes]]
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


async def serve_healthz(
    host: str, port: int, probe: Probe, metrics: Metrics | None = None
) -> asyncio.Server:
    """Start answering ``GET /healthz`` (and ``GET /metrics``) on ``host:port``."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _answer(reader, writer, probe, metrics)

    try:
        return await asyncio.start_server(answer, host, port)
    except OSError as exc:
        raise StorageError(f"cannot serve /healthz on port {port}: {exc.strerror}") from exc


async def _answer(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    probe: Probe,
    metrics: Metrics | None = None,
) -> None:
    try:
        async with asyncio.timeout(5):
            request = await reader.readline()
            while (await reader.readline()).strip():
                pass  # headers are not needed
    except (TimeoutError, ConnectionError):
        writer.close()
        return
    parts = request.decode("latin-1").split()
    path = parts[1].split("?")[0] if len(parts) >= 2 else ""
    content_type = "application/json"
    if path == "/healthz":
        healthy, body = await probe()
        status = "200 OK" if healthy else "503 Service Unavailable"
        payload = json.dumps(body).encode()
    elif path == "/metrics" and metrics is not None:
        status, content_type, payload = "200 OK", METRICS_TYPE, await metrics()
    else:
        status, payload = "404 Not Found", json.dumps({"error": "try /healthz"}).encode()
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        + payload
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()
