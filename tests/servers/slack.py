"""A local imitation of the Slack Web API, for the real ``slack_sdk.WebClient`` to talk to.

It answers the methods govwatch uses (``auth.test``, ``chat.postMessage``,
``conversations.history``, ``conversations.list``) the way Slack does: HTTP 200 with
``{"ok": false, "error": …}`` for API errors, 429 with ``Retry-After`` when rate limited,
5xx when Slack itself is unwell. Messages are kept per channel with their ``ts`` and
metadata; ``conversations.history`` returns metadata only with ``include_all_metadata``,
newest first, like Slack. Every request is recorded so tests can assert what was sent.

Scripting: ``fail_next("chat.postMessage", "ratelimited")`` queues one failure for a method.
Before the request is handled: ``ratelimited`` → 429 with ``Retry-After: 1``,
``server_error`` → 500, ``unavailable`` → 503, ``drop`` → connection closed without an
answer. After the message is stored (Slack has it, the client is told otherwise — the
faults that make a blind retry post twice): ``stored_then_500``, ``stored_then_503``,
``stored_then_drop``. Anything else → that API error code with HTTP 200. ``down = True``
makes every call answer 503 (an outage) until it is set back; ``kill_pid_on_post`` makes the server store the
``posts_before_kill``-th posted message and then SIGKILL that process before answering
(a crash between posting and recording).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.servers.local import LocalServer

TOKEN = "xoxb-test-0000-govwatch-secret"  # noqa: S105 - a fake token for the fake server
# Failures that happen after the message is stored, and the HTTP status they answer with
# (0: the connection is closed without an answer).
STORED_THEN = {"stored_then_500": 500, "stored_then_503": 503, "stored_then_drop": 0}


@dataclass
class SlackRequest:
    """One request as the server saw it: method, arguments (query, form or JSON) and time."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float


@dataclass
class SlackMessage:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None


@dataclass
class SlackState:
    channels: dict[str, str] = field(
        default_factory=lambda: {
            "policy-alerts": "C0POLICY01",
            "ai-policy": "C0AIPOL002",
            "jp-policy": "C0JPPOL003",
            "govwatch-ops": "C0GWOPS004",
            "semis": "C0SEMIS005",
        }
    )
    not_in_channel: set[str] = field(default_factory=set)
    messages: dict[str, list[SlackMessage]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    requests: list[SlackRequest] = field(default_factory=list)


class FakeSlack(LocalServer):
    """``with FakeSlack() as slack: settings.base_url = slack.api_url``."""

    def __init__(self) -> None:
        self.state = SlackState()
        self.lock = threading.Lock()
        self.down = False
        self.kill_pid_on_post: int | None = None
        self.posts_before_kill = 1
        self._clock = 1_800_000_000
        super().__init__(_handler(self))

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # --- scripting -------------------------------------------------------------------
    def fail_next(self, method: str, failure: str, times: int = 1) -> None:
        with self.lock:
            self.state.failures[method].extend([failure] * times)

    def stop_failing(self, method: str) -> None:
        """Drop the failures still queued for ``method``: that API works again."""
        with self.lock:
            self.state.failures[method].clear()

    # --- what happened ---------------------------------------------------------------
    def calls(self, method: str) -> list[SlackRequest]:
        with self.lock:
            return [request for request in self.state.requests if request.method == method]

    def posted(self, channel_id: str | None = None) -> list[SlackMessage]:
        """Messages Slack accepted, in posting order (one channel, or all)."""
        with self.lock:
            if channel_id is not None:
                return list(self.state.messages.get(channel_id, []))
            every = [m for messages in self.state.messages.values() for m in messages]
        return sorted(every, key=lambda message: float(message.ts))

    def channel_id(self, channel: str) -> str | None:
        name = channel.removeprefix("#")
        if name in self.state.channels.values():
            return name
        return self.state.channels.get(name)

    def next_ts(self) -> str:
        with self.lock:
            self._clock += 1
            return f"{self._clock}.000100"


def _handler(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            method = parts.path.removeprefix("/api/")
            args: dict[str, Any] = dict(parse_qsl(parts.query))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if body:
                if "json" in (self.headers.get("Content-Type") or ""):
                    args.update(json.loads(body))
                else:
                    args.update(parse_qsl(body.decode()))
            with slack.lock:
                slack.state.requests.append(
                    SlackRequest(method, args, dict(self.headers.items()), time.monotonic())
                )
                queued = slack.state.failures.get(method)
                failure = queued.pop(0) if queued else None
            if slack.down:
                self._json(503, {"ok": False, "error": "service_unavailable"})
            elif failure == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
            elif failure == "ratelimited":
                self._json(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
            elif failure == "server_error":
                self._json(500, {"ok": False, "error": "internal_error"})
            elif failure == "unavailable":
                self._json(503, {"ok": False, "error": "service_unavailable"})
            elif failure in STORED_THEN:  # Slack keeps the message, then fails the answer
                self._post(args, failed_after=failure)
            elif failure is not None:
                self._json(200, {"ok": False, "error": failure})
            elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._json(200, {"ok": False, "error": "invalid_auth"})
            else:
                self._api(method, args)

        def _api(self, method: str, args: dict[str, Any]) -> None:
            if method == "auth.test":
                self._json(
                    200, {"ok": True, "team": "Govwatch", "user": "govwatch", "bot_id": "B1"}
                )
            elif method == "chat.postMessage":
                self._post(args)
            elif method == "conversations.history":
                self._history(args)
            elif method == "conversations.list":
                channels = [{"id": cid, "name": name} for name, cid in slack.state.channels.items()]
                self._json(200, {"ok": True, "channels": channels, "response_metadata": {}})
            else:
                self._json(200, {"ok": False, "error": "unknown_method"})

        def _post(self, args: dict[str, Any], *, failed_after: str | None = None) -> None:
            channel_id = slack.channel_id(str(args.get("channel", "")))
            if channel_id is None:
                self._json(200, {"ok": False, "error": "channel_not_found"})
                return
            if channel_id in slack.state.not_in_channel:
                self._json(200, {"ok": False, "error": "not_in_channel"})
                return
            blocks = args.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            message = SlackMessage(
                channel_id, slack.next_ts(), str(args.get("text", "")), blocks, metadata
            )
            with slack.lock:
                slack.state.messages[channel_id].append(message)
            if failed_after == "stored_then_drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if failed_after is not None:
                status = STORED_THEN[failed_after]
                self._json(status, {"ok": False, "error": "internal_error"})
                return
            with slack.lock:
                slack.posts_before_kill -= 1
                kill = slack.kill_pid_on_post is not None and slack.posts_before_kill <= 0
            if kill and slack.kill_pid_on_post is not None:
                os.kill(slack.kill_pid_on_post, signal.SIGKILL)
                slack.kill_pid_on_post = None
                self.close_connection = True
                return
            self._json(200, {"ok": True, "channel": channel_id, "ts": message.ts})

        def _history(self, args: dict[str, Any]) -> None:
            channel_id = str(args.get("channel", ""))
            if channel_id not in slack.state.channels.values():
                self._json(200, {"ok": False, "error": "channel_not_found"})
                return
            oldest = float(args.get("oldest") or 0)
            with_metadata = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
            limit = int(args.get("limit") or 100)
            start = int(args.get("cursor") or 0)
            with slack.lock:
                found = [
                    m for m in slack.state.messages.get(channel_id, []) if float(m.ts) > oldest
                ]
            found.reverse()
            page = found[start : start + limit]
            more = start + limit < len(found)
            messages = []
            for message in page:
                shown: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text}
                if with_metadata and message.metadata:
                    shown["metadata"] = message.metadata
                messages.append(shown)
            self._json(
                200,
                {
                    "ok": True,
                    "messages": messages,
                    "has_more": more,
                    "response_metadata": {"next_cursor": str(start + limit) if more else ""},
                },
            )

        def _json(
            self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: tests assert on ``slack.state.requests`` instead."""

    return Handler
