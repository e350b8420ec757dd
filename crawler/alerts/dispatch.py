"""Deliver every pending alert to the sink its destination names.

The one call the CLI and the daemon make after crawling: the sinks the configuration
enables (crawler/alerts/sinks/: Slack when a token is configured, Apprise when channels are,
the console always) each drain their due outbox rows through the one dispatcher (outbox.py).
"""

from __future__ import annotations

from sqlalchemy import Engine

from crawler.alerts.outbox import DispatchReport, dispatch
from crawler.alerts.sinks import Sink, enabled_sinks
from crawler.alerts.sinks.console import ConsoleSink
from crawler.app_config import AppConfig


def sinks_for(
    config: AppConfig, console: ConsoleSink | None = None, overrides: dict[str, Sink] | None = None
) -> list[Sink]:
    """The sinks this configuration enables, in the order they are served; ``console`` (or
    ``overrides`` by sink name) replaces the configured one."""
    chosen: dict[str, Sink] = dict(overrides or {})
    if console is not None:
        chosen["console"] = console
    return enabled_sinks(config, chosen)


def dispatch_all(
    engine: Engine,
    config: AppConfig,
    console: ConsoleSink | None = None,
    overrides: dict[str, Sink] | None = None,
) -> DispatchReport:
    """Drain the due rows of every enabled sink; the totals of all of them."""
    return dispatch(engine, config, sinks_for(config, console, overrides))
