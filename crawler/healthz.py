"""``/healthz`` for process supervisors: a tiny HTTP answer on the daemon's own loop.

200 with ``{"status": "ok", "scheduler": …, "database": …}`` when the probe says healthy,
503 when not, 404 for any other path. It runs on the reactor's asyncio loop, so an answer
also proves that loop is not stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

from crawler.errors import StorageError

Probe = Callable[[], Awaitable[tuple[bool, dict[str, str]]]]


async def serve_healthz(host: str, port: int, probe: Probe) -> asyncio.Server:
    """Start answering ``GET /healthz`` on ``host:port``."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _answer(reader, writer, probe)

    try:
        return await asyncio.start_server(answer, host, port)
    except OSError as exc:
        raise StorageError(f"cannot serve /healthz on port {port}: {exc.strerror}") from exc


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, probe: Probe) -> None:
    try:
        async with asyncio.timeout(5):
            request = await reader.readline()
            while (await reader.readline()).strip():
                pass  # headers are not needed
    except (TimeoutError, ConnectionError):
        writer.close()
        return
    parts = request.decode("latin-1").split()
    if len(parts) >= 2 and parts[1].split("?")[0] == "/healthz":
        healthy, body = await probe()
        status = "200 OK" if healthy else "503 Service Unavailable"
    else:
        status, body = "404 Not Found", {"error": "try /healthz"}
    payload = json.dumps(body).encode()
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        + payload
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()
