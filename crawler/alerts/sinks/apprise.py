"""The Apprise sink: e-mail, Microsoft Teams, Discord, generic webhooks… from one URL each.

Channels are named in ``config/routing.yaml`` (``apprise: {security-mail: "mailtos://…"}``)
and routes send to them as ``apprise:security-mail``. ``${VAR}`` in a URL is read from the
environment at delivery, so passwords and webhook tokens can stay out of the file; URLs are
never logged whole (Apprise's privacy form, then :func:`crawler.logs.redact`).

The body is HTML built from the publication view, with every piece of page text escaped;
Apprise converts it for services that take text or Markdown. Apprise only says whether a
notification went through, not where it landed, so this sink has **no exactly-once check**:
a service that stores a message and then answers an error (a 5xx after receipt), or a crash
between sending and recording, makes the dispatcher send it again — a duplicate.
"""

from __future__ import annotations

import html
import logging
import os
import re
from datetime import datetime, timedelta

from crawler.alerts.message import AlertMessage, source_name
from crawler.alerts.routing_config import default_routing_path, load_routing
from crawler.alerts.sinks.base import Alert, Burst, DeliveryResult, Sink, SinkError
from crawler.alerts.sinks.registry import register
from crawler.app_config import AppConfig
from crawler.logs import redact

logger = logging.getLogger(__name__)

SUMMARY_CHARS = 1200
BURST_LISTED = 10
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(url: str) -> str:
    """``${VAR}`` → the variable's value; a missing one is a configuration error."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise SinkError(
                "unset_variable", f"${{{name}}} is not set in the environment", "channel"
            )
        return os.environ[name]

    return _VARIABLE.sub(value, url)


def link(url: str, label: str) -> str:
    """An HTML link for an http(s) URL; anything else is shown as text, never linked."""
    if url.lower().startswith(("http://", "https://")):
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'
    return html.escape(label)


def publication_html(message: AlertMessage) -> str:
    """The publication view as HTML: title link, the labelled fields, summary, attachments."""
    parts = [f"<p><b>{link(message.url, message.title)}</b></p>"]
    rows = [("Link", html.escape(message.url))] + [
        (name, html.escape(value)) for name, value in message.fields
    ]
    cells = "".join(f"<tr><th align=left>{html.escape(n)}</th><td>{v}</td></tr>" for n, v in rows)
    parts.append(f"<table>{cells}</table>")
    if message.summary:
        summary = message.summary
        if len(summary) > SUMMARY_CHARS:
            summary = summary[: SUMMARY_CHARS - 1].rstrip() + "…"
        parts.append(f"<p>{html.escape(summary)}</p>")
    if message.attachments:
        items = "".join(f"<li>{link(a.url, a.title)}</li>" for a in message.attachments)
        parts.append(f"<p>Attachments</p><ul>{items}</ul>")
    return "\n".join(parts)


def burst_html(burst: Burst) -> str:
    shown = burst.newest_first[:BURST_LISTED]
    items = "".join(f"<li>{link(m.url, m.title)} ({html.escape(m.when)})</li>" for m in shown)
    more = burst.total - len(shown)
    tail = f"<p>…and {more} more (govwatch stores them all)</p>" if more > 0 else ""
    return f"<ul>{items}</ul>{tail}"


class AppriseSink:
    """Delivers ``apprise:<channel>`` rows to the channel's Apprise URL."""

    name = "apprise"
    label = "Apprise"
    keeps_order = True  # a chat or mailbox reads in order: a failing head row holds the rest
    shared_service = False  # every channel is its own service: one failing holds only itself
    pace = timedelta(0)

    def __init__(self, channels: dict[str, str]) -> None:
        self.channels = channels

    def deliver(self, alert: Alert) -> DeliveryResult:
        if alert.view is not None:
            title = f"New: {alert.view.title}"
            body = publication_html(alert.view)
        elif alert.notice is not None and alert.notice.html is not None:
            title = alert.notice.title or "govwatch"  # a published digest, rendered whole
            body = alert.notice.html
        else:
            title = "govwatch ops"
            body = f"<p>{html.escape(alert.notice.text if alert.notice else '')}</p>"
        return self._notify(alert.target, title, body)

    def deliver_burst(self, burst: Burst) -> DeliveryResult:
        noun = "publication" if burst.total == 1 else "publications"
        title = f"{burst.total} new {noun} from {source_name(burst.source_id)}"
        return self._notify(burst.target, title, burst_html(burst))

    def already_delivered(
        self, target: str, outbox_ids: list[int], since: datetime
    ) -> dict[int, str]:
        return {}  # Apprise cannot read a channel back; see the module doc

    def _notify(self, channel: str, title: str, body: str) -> DeliveryResult:
        if channel not in self.channels:
            raise SinkError(
                "channel_not_found",
                f"no Apprise channel {channel!r} under apprise: in the routing file",
                "channel",
            )
        # Imported at the first notification: the sinks are registered by every process that
        # delivers, most without an Apprise channel, and Apprise loads all its plugins.
        import apprise

        notifier = apprise.Apprise()
        if not notifier.add(expand(self.channels[channel])):
            raise SinkError(
                "invalid_url", f"Apprise does not understand the URL of {channel!r}", "channel"
            )
        shown = redact(str(notifier[0].url(privacy=True)))  # type: ignore[no-untyped-call]
        with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            # Long titles are cut by services (e-mail subjects fold, chat titles truncate).
            sent = bool(
                notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.HTML)
            )
        if not sent:
            said = " ".join(str(captured.getvalue()).split())[-300:] or "no answer"
            raise SinkError("not_sent", f"apprise:{channel} ({shown}): {said}", "transient")
        return DeliveryResult()


@register("apprise", order=20)
def build(config: AppConfig) -> Sink | None:
    """Enabled when the routing file names at least one Apprise channel."""
    channels = load_routing(default_routing_path(config)).apprise
    return AppriseSink(dict(channels)) if channels else None
