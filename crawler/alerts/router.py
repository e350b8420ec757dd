"""Which destinations an alert goes to.

Destinations are strings stored on outbox rows: ``console`` or ``slack:<channel>``. Without
a Slack token every alert goes to the console, so nothing is lost on a fresh machine. With
one, the routes of ``config/routing.yaml`` choose the channels (crawler/alerts/routing.py),
falling back to ``slack.default_channel``, and to the console when no channel is known.
"""

from __future__ import annotations

from collections.abc import Sequence

from crawler.alerts.routing import RoutedFields, decide
from crawler.alerts.routing_config import default_routing_path, load_routing
from crawler.app_config import AppConfig
from crawler.items import PublicationItem as Publication
from crawler.items import Router

CONSOLE = "console"


def slack_destination(channel: str) -> str:
    return f"slack:{channel}"


def ops_destination(config: AppConfig) -> str:
    """Where source-health alerts go: the Slack ops channel when configured, else console."""
    if config.slack.ops_channel and config.slack.token():
        return slack_destination(config.slack.ops_channel)
    return CONSOLE


def publication_router(config: AppConfig) -> Router:
    """The router for new publications under this configuration."""
    if config.slack.token():
        routing = load_routing(default_routing_path(config))
        default_channel = config.slack.default_channel

        def to_routed_channels(item: Publication) -> Sequence[str]:
            decision = decide(routing, RoutedFields.of(item), default_channel)
            return tuple(slack_destination(channel) for channel in decision.channels) or (CONSOLE,)

        return to_routed_channels

    def to_console(_item: Publication) -> Sequence[str]:
        return (CONSOLE,)

    return to_console
