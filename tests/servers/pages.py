"""A real HTTP server on 127.0.0.1 (port 0) serving fixture pages, as the sites serve them.

Each route answers with bytes (a saved page or generated text), a status, headers and an
optional delay. Responses carry an ETag and Last-Modified and honour If-None-Match /
If-Modified-Since with 304, like the real servers. Every request is recorded, so tests can
assert what govwatch sent (conditional headers, Referer, User-Agent).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.servers.local import LocalServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class Route:
    body: bytes | Callable[[], bytes] = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    validators: bool = True

    def render(self) -> bytes:
        return self.body() if callable(self.body) else self.body


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]


class PageServer(LocalServer):
    """``with PageServer() as server: server.route("/feed.xml", Route(...))``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        super().__init__(_handler(self))
        self.last_modified = formatdate(time.time() - 3600, usegmt=True)

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, route: Route) -> str:
        """Serve ``route`` at ``path`` (query string included if given); return the URL."""
        with self._lock:
            self.routes[path] = route
        return self.url(path)

    def fixture(self, path: str, fixture: str, content_type: str, **kwargs: Any) -> str:
        """Serve the saved page ``tests/fixtures/<fixture>`` at ``path``."""
        return self.route(
            path, Route((FIXTURES / fixture).read_bytes(), content_type=content_type, **kwargs)
        )

    def hits(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == path]


def _handler(server: PageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with server._lock:
                server.requests.append(SeenRequest(self.path, dict(self.headers.items())))
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
            if route is None:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            if route.delay:
                time.sleep(route.delay)
            body = route.render()
            headers = {"Content-Type": route.content_type, **route.headers}
            if route.validators and route.status == 200:
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                headers["ETag"] = etag
                headers["Last-Modified"] = server.last_modified
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", {"ETag": etag})
                    return
            self._send(route.status, body, headers)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: tests assert on ``server.requests`` instead."""

    return Handler
