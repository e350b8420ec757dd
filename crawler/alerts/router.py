"""Which destinations an alert goes to.

Destinations are strings stored on outbox rows: ``console``, ``slack:<channel>`` or
``apprise:<name>``; their prefix picks the sink (crawler/alerts/sinks/). The routes of
``config/routing.yaml`` choose the channels (crawler/alerts/routing.py): a channel written
``apprise:<name>`` is an Apprise channel, any other is a Slack channel, used only with a Slack
token (then ``slack.default_channel`` takes what no route matched). What is left with no
channel goes to the console, so nothing is lost on a fresh machine.
"""

from __future__ import annotations

from collections.abc import Sequence

from crawler.alerts.routing import RoutedFields, decide
from crawler.alerts.routing_config import default_routing_path, load_routing
from crawler.alerts.sinks.registry import registered
from crawler.app_config import AppConfig
from crawler.items import PublicationItem as Publication
from crawler.items import Router

CONSOLE = "console"


APPRISE_PREFIX = "apprise:"


def slack_destination(channel: str) -> str:
    return f"slack:{channel}"


def names_a_sink(channel: str) -> bool:
    """``apprise:x`` (any registered sink's prefix) rather than a Slack channel name."""
    name, colon, _ = channel.partition(":")
    return bool(colon) and name in registered()


def destination_for(channel: str) -> str:
    """A routing-file channel as a destination: ``apprise:x`` stays, ``#x`` → ``slack:#x``."""
    return channel if names_a_sink(channel) else slack_destination(channel)


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
            return tuple(destination_for(channel) for channel in decision.channels) or (CONSOLE,)

        return to_routed_channels
    routing = load_routing(default_routing_path(config))
    if routing.apprise:  # Apprise channels without Slack: Slack channels are left out

        def to_apprise_channels(item: Publication) -> Sequence[str]:
            decision = decide(routing, RoutedFields.of(item), None)
            chosen = [c for c in decision.channels if names_a_sink(c)]
            return tuple(chosen) or (CONSOLE,)

        return to_apprise_channels

    def to_console(_item: Publication) -> Sequence[str]:
        return (CONSOLE,)

    return to_console
