"""The Slack sink: post alerts with the real ``slack_sdk.WebClient``, and find what it posted.

Two clients. Reads (``conversations.history``, ``conversations.list``, ``auth.test``) change
nothing, so the SDK's retry handlers may repeat them: 429 (after the ``Retry-After`` Slack
sends), 500/503 and dropped connections, with backoff. ``chat.postMessage`` is different:
Slack can store a message and still answer 500, 503 or drop the connection, and a blind
repeat would post it twice. So the posting client has no retry handlers, and
:meth:`SlackSink.post` retries itself, each time only after reading the channel's history
for the message's metadata (:meth:`SlackSink.find_posted`): a message found there is the
answer, not a reason to post again. What is left becomes a :class:`SlackError`: permanent
when retrying cannot help (a wrong token, a channel the bot cannot post to, a message Slack
rejects), transient otherwise, and the outbox dispatcher (crawler/alerts/outbox.py) decides
what happens to the rows.

Every message carries Slack message metadata naming its outbox rows, so that after a crash
between posting and recording, or an error answer to a post that Slack kept, the history
(``conversations.history`` with ``include_all_metadata``) shows whether it is there. That
needs the ``channels:history`` (and ``groups:history`` for private channels) scope besides
``chat:write``; ``channels:read`` lets channel names be resolved to ids.
"""

from __future__ import annotations

import functools
import http.client
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.error import URLError

from crawler.alerts.blocks import SlackPayload, burst_payload, message_payload, ops_payload
from crawler.alerts.sinks.base import Alert, Burst, DeliveryResult, Scope, Sink, SinkError
from crawler.alerts.sinks.registry import register
from crawler.app_config import AppConfig, SlackSettings

# The Slack SDK is imported when a client is built (a bot token is configured), not by
# every process that registers the sinks: the daemon and the CLI without Slack never pay.
if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.web import SlackResponse

logger = logging.getLogger(__name__)

SLACK_PREFIX = "slack:"
EVENT_PUBLICATION = "govwatch_publication"
EVENT_OPS = "govwatch_ops"
EVENT_BURST = "govwatch_burst"
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")

# Slack error codes by what they mean for the outbox (https://api.slack.com/methods/chat.postMessage).
_AUTH = {
    "invalid_auth": "the bot token is not valid; set a new one in $SLACK_BOT_TOKEN",
    "not_authed": "no bot token was sent",
    "account_inactive": "the bot's workspace or account is deactivated",
    "token_revoked": "the bot token was revoked; install the app again",
    "token_expired": "the bot token expired",
    "missing_scope": "the bot lacks a scope (chat:write, channels:history)",
    "no_permission": "the bot may not do this",
}
_CHANNEL = {
    "channel_not_found": "no such channel, or the bot cannot see it (check config/routing.yaml)",
    "not_in_channel": "the bot is not a member; /invite the app to the channel",
    "is_archived": "the channel is archived",
    "restricted_action": "the workspace does not let the bot post there",
}
_MESSAGE = {
    "msg_too_long": "the message is too long",
    "invalid_blocks": "Slack rejected the blocks",
    "invalid_blocks_format": "Slack rejected the blocks",
    "no_text": "the message has no text",
    "invalid_metadata_format": "Slack rejected the message metadata",
    "invalid_metadata_schema": "Slack rejected the message metadata",
    "metadata_too_large": "the message metadata is too large",
    "invalid_arguments": "Slack rejected the request's arguments",
    "publication_missing": "the publication row no longer exists",
}


def error_scope(code: str) -> Scope:
    if code in _AUTH:
        return "auth"
    if code in _CHANNEL:
        return "channel"
    if code in _MESSAGE:
        return "message"
    return "transient"


class SlackError(SinkError):
    """A Slack call that failed after the SDK's retries; the scope follows from its code."""

    def __init__(self, code: str, reason: str, retry_after: float | None = None) -> None:
        # retry_after: seconds Slack asked us to wait (429 Retry-After)
        super().__init__(code, reason, error_scope(code), retry_after)


@dataclass(frozen=True)
class Posted:
    channel_id: str
    ts: str

    @property
    def ref(self) -> str:
        """What ``message_ref`` stores: ``<channel id>:<ts>``, enough to find the message."""
        return f"{self.channel_id}:{self.ts}"


def build_client(settings: SlackSettings, token: str, *, retrying: bool = True) -> WebClient:
    """A WebClient; with ``retrying`` its handlers honour Retry-After and back off on 5xx /
    network. Only for calls that are safe to repeat: never for ``chat.postMessage``."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )
    from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

    handlers: list[Any] = []
    if retrying:
        interval = BackoffRetryIntervalCalculator(backoff_factor=settings.http_backoff)
        retries = settings.http_retries
        handlers = [
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
            ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
        ]
    base_url = (settings.base_url or WebClient.BASE_URL).rstrip("/") + "/"
    return WebClient(
        token=token, base_url=base_url, timeout=settings.http_timeout, retry_handlers=handlers
    )


def metadata_for(alert: Alert) -> dict[str, Any]:
    """The metadata that lets a later run recognise this alert's message in the history."""
    payload: dict[str, Any] = {"outbox_id": alert.outbox_id}
    if alert.publication_id is not None:
        payload["publication_id"] = alert.publication_id
    event = EVENT_PUBLICATION if alert.kind == "publication" else EVENT_OPS
    return {"event_type": event, "event_payload": payload}


def burst_metadata(burst: Burst) -> dict[str, Any]:
    """A summary names every row it stands for."""
    return {
        "event_type": EVENT_BURST,
        "event_payload": {
            "source_id": burst.source_id,
            "count": burst.total,
            "outbox_ids": burst.outbox_ids,
        },
    }


def payload_for(alert: Alert) -> SlackPayload:
    if alert.view is not None:
        return message_payload(alert.view)
    notice = alert.notice
    if notice is None:
        raise SlackError("publication_missing", f"publication {alert.publication_id} is gone")
    if notice.blocks:  # a digest section or announcement, built by crawler/digest/publish.py
        return SlackPayload(notice.text, list(notice.blocks))
    return ops_payload(notice.text, notice.source_id, notice.state)


class SlackSink:
    """Delivers ``slack:<channel>`` rows; one instance per dispatch pass (it caches ids)."""

    name = "slack"
    label = "Slack"
    keeps_order = True  # a channel is a conversation: an outage delays, never reorders
    shared_service = True  # one workspace: when it is down, every channel is

    def __init__(
        self,
        settings: SlackSettings,
        token: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.client = build_client(settings, token)  # reads: safe to repeat
        self.post_client = build_client(settings, token, retrying=False)
        self.sleep = sleep
        self.channel_ids: dict[str, str] = {}
        self.pace = settings.per_channel_interval

    # --- the Sink protocol ----------------------------------------------------------------
    def deliver(self, alert: Alert) -> DeliveryResult:
        return DeliveryResult(self.post(alert.target, payload_for(alert), metadata_for(alert)).ref)

    def deliver_burst(self, burst: Burst) -> DeliveryResult:
        listed = self.settings.burst_listed
        payload = burst_payload(burst.source_id, burst.newest_first, burst.total, listed)
        return DeliveryResult(self.post(burst.target, payload, burst_metadata(burst)).ref)

    def already_delivered(
        self, target: str, outbox_ids: list[int], since: datetime
    ) -> dict[int, str]:
        """The channel's history, read for govwatch metadata naming these rows."""
        found = self.find_posted(target, since)
        return {outbox_id: found[outbox_id] for outbox_id in outbox_ids if outbox_id in found}

    # --- calls ---------------------------------------------------------------------------
    def auth_test(self) -> dict[str, Any]:
        return dict(self._call(self.client.auth_test, "auth.test").data or {})  # type: ignore[arg-type]

    def post(self, channel: str, payload: SlackPayload, metadata: dict[str, Any]) -> Posted:
        """Post once; on a transient error, wait, look for the message in the history, and
        post again only if it is not there (up to ``slack.http_retries`` times).

        A message whose metadata names no outbox row cannot be looked up, so it is never
        repeated: its error is raised at once.
        """
        ids = _outbox_ids(metadata)
        since = datetime.now(UTC)
        for attempt in range(self.settings.http_retries + 1):
            try:
                return self._post_once(channel, payload, metadata)
            except SlackError as exc:
                if exc.permanent or not ids or attempt >= self.settings.http_retries:
                    raise
                logger.info(
                    "Slack answered %s to a post in %s; checking the history before retrying",
                    exc.code,
                    channel,
                    extra={"outbox_id": ids[0]},
                )
                self.sleep(self._wait_before_retry(exc, attempt))
                found = self.find_posted(channel, since)  # raises if Slack cannot tell us
                if ids[0] in found:
                    ref = found[ids[0]]
                    logger.warning(
                        "Slack kept the message despite answering %s; recorded, not re-sent",
                        exc.code,
                        extra={"outbox_id": ids[0]},
                    )
                    channel_id, _, ts = ref.partition(":")
                    return Posted(channel_id, ts)
        raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover

    def _wait_before_retry(self, exc: SlackError, attempt: int) -> float:
        if exc.retry_after is not None:
            return exc.retry_after
        return float(self.settings.http_backoff * 2**attempt)

    def _post_once(self, channel: str, payload: SlackPayload, metadata: dict[str, Any]) -> Posted:
        response = self._call(
            lambda: self.post_client.chat_postMessage(
                channel=channel,
                text=payload.text,
                blocks=payload.blocks,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            ),
            f"chat.postMessage to {channel}",
        )
        posted = Posted(str(response["channel"]), str(response["ts"]))
        self.channel_ids[channel] = posted.channel_id
        return posted

    def find_posted(self, channel: str, since: datetime) -> dict[int, str]:
        """Outbox id → message ref of govwatch messages in the channel since ``since``."""
        channel_id = self.channel_id(channel)
        oldest = f"{(since - timedelta(minutes=5)).timestamp():.6f}"
        found: dict[int, str] = {}
        cursor: str | None = None
        for _ in range(self.settings.history_pages):
            response = self._call(
                functools.partial(
                    self.client.conversations_history,
                    channel=channel_id,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                ),
                f"conversations.history of {channel}",
            )
            for message in response.get("messages") or []:
                for outbox_id in _outbox_ids(message.get("metadata")):
                    found[outbox_id] = Posted(channel_id, str(message["ts"])).ref
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return found

    def channel_id(self, channel: str) -> str:
        """History needs the channel id; names are resolved once (conversations.list)."""
        if _CHANNEL_ID.match(channel):
            return channel
        if channel in self.channel_ids:
            return self.channel_ids[channel]
        name = channel.removeprefix("#")
        cursor: str | None = None
        while True:
            response = self._call(
                functools.partial(
                    self.client.conversations_list,
                    types="public_channel,private_channel",
                    limit=1000,
                    cursor=cursor,
                ),
                "conversations.list",
            )
            for entry in response.get("channels") or []:
                self.channel_ids["#" + str(entry["name"])] = str(entry["id"])
                self.channel_ids[str(entry["name"])] = str(entry["id"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if name in self.channel_ids or not cursor:
                break
        if name not in self.channel_ids:
            reason = _CHANNEL["channel_not_found"]
            raise SlackError("channel_not_found", f"channel_not_found: {channel}: {reason}")
        return self.channel_ids[name]

    def _call(self, call: Callable[[], SlackResponse], what: str) -> SlackResponse:
        from slack_sdk.errors import SlackApiError, SlackClientError  # loaded with the client

        try:
            return call()
        except SlackApiError as exc:
            code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            explanation = {**_AUTH, **_CHANNEL, **_MESSAGE}.get(code, "Slack could not take it now")
            status = exc.response.status_code
            retry_after = _retry_after(exc.response.headers) if status == 429 else None
            raise SlackError(code, f"{code}: {what}: {explanation}", retry_after) from exc
        except (SlackClientError, URLError, OSError, http.client.HTTPException) as exc:
            raise SlackError("unreachable", f"unreachable: {what}: {exc}") from exc


@register("slack", order=10)
def build(config: AppConfig) -> Sink | None:
    """Enabled when a bot token is configured."""
    token = config.slack.token()
    return SlackSink(config.slack, token) if token else None


def _retry_after(headers: object) -> float | None:
    """Seconds from a 429's ``Retry-After`` header (the SDK keeps header values as given)."""
    if not isinstance(headers, dict):
        return None
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(float(str(raw)), 0.0)
            except ValueError:
                return None
    return None


def _outbox_ids(metadata: object) -> list[int]:
    if not isinstance(metadata, dict) or not str(metadata.get("event_type", "")).startswith(
        "govwatch_"
    ):
        return []
    payload = metadata.get("event_payload") or {}
    raw = payload.get("outbox_ids") or [payload.get("outbox_id")]
    return [int(value) for value in raw if str(value).isdigit()]
