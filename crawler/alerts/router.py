"""Which destinations an alert goes to.

Destinations are strings stored on outbox rows: ``console`` or ``slack:<channel>``. Without
a Slack token every alert goes to the console, so nothing is lost on a fresh machine.
"""

from __future__ import annotations

from collections.abc import Sequence

from crawler.app_config import AppConfig
from crawler.items import Publication
from crawler.runs import Router

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
    if config.slack.default_channel and config.slack.token():
        channel = slack_destination(config.slack.default_channel)

        def to_default_channel(_item: Publication) -> Sequence[str]:
            return (channel,)

        return to_default_channel

    def to_console(_item: Publication) -> Sequence[str]:
        return (CONSOLE,)

    return to_console
