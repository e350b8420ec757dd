"""A webhook receiver on 127.0.0.1: keeps every JSON body POSTed to it, and can be told to
answer 500 *after* keeping one (the "stored, then failed" fault of a real service)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers.local import LocalServer


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    answered: int
    kept: bool  # stored by the service (what its users would see)


@dataclass
class WebhookState:
    received: list[Received] = field(default_factory=list)
    refuse: int = 0  # the next N posts are answered 500 and not kept
    fail_after_storing: int = 0  # the next N posts are kept, then answered with 500
    lock: threading.Lock = field(default_factory=threading.Lock)


class WebhookReceiver(LocalServer):
    def __init__(self) -> None:
        self.state = WebhookState()
        super().__init__(_handler(self.state))

    def refuse_next(self, times: int = 1) -> None:
        """The service is down: 500, nothing kept."""
        with self.state.lock:
            self.state.refuse = times

    def fail_after_storing_next(self, times: int = 1) -> None:
        """The service keeps the post, then answers 500."""
        with self.state.lock:
            self.state.fail_after_storing = times

    @property
    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)

    def kept(self, path: str | None = None) -> list[dict[str, Any]]:
        """The bodies the service stored, in order (optionally only those sent to ``path``)."""
        return [r.body for r in self.received if r.kept and (path is None or r.path == path)]

    def json_url(self, path: str = "/hook") -> str:
        """The Apprise URL that posts JSON here: ``json://127.0.0.1:PORT/path``."""
        return self.base_url.replace("http://", "json://") + path


def _handler(state: WebhookState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            with state.lock:
                if state.refuse > 0:
                    state.refuse -= 1
                    status, kept = 500, False
                elif state.fail_after_storing > 0:
                    state.fail_after_storing -= 1
                    status, kept = 500, True
                else:
                    status, kept = 200, True
                state.received.append(Received(self.path, body, status, kept))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "internal"}')

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``received``."""

    return Handler
