"""Deliver every pending alert to the sink its destination names.

The one call the CLI and the daemon make after crawling: it picks the sinks the
configuration enables (the console always; Slack when a token is configured) and drains
their due outbox rows.
"""

from __future__ import annotations

from sqlalchemy import Engine

from crawler.alerts.console import ConsoleSink
from crawler.alerts.outbox import DispatchReport, Sink, dispatch_pending
from crawler.alerts.slack import SlackSink
from crawler.alerts.slack_outbox import SlackDispatcher
from crawler.app_config import AppConfig


def sinks_for(config: AppConfig, console: ConsoleSink | None = None) -> list[Sink]:
    """The sinks this configuration enables: Slack first (its ops notices may go to the
    console), then the console."""
    sinks: list[Sink] = []
    if token := config.slack.token():
        sinks.append(SlackSink(config.slack, token))
    sinks.append(console or ConsoleSink())
    return sinks


def dispatch_all(
    engine: Engine, config: AppConfig, console: ConsoleSink | None = None
) -> DispatchReport:
    """Drain the due rows of every enabled sink; the totals of all of them."""
    total = DispatchReport()
    for sink in sinks_for(config, console):
        if isinstance(sink, SlackSink):
            report = SlackDispatcher(engine, config, sink).run()
        else:
            report = dispatch_pending(engine, sink, config.slack.burst_threshold)
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
    return total
