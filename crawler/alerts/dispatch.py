"""Deliver every pending alert to the sink its destination names.

The one call the CLI and the daemon make after crawling: it picks the sinks the
configuration enables (the console always; Slack when a token is configured) and drains
their due outbox rows. One sink's unexpected exception (a bug, a database hiccup) is
logged in one line and counted, and the next sink still runs: the daemon's delivery loop
must never die of it, and the rows concerned are still in the outbox.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from crawler.alerts.console import ConsoleSink
from crawler.alerts.outbox import DispatchReport, Sink, dispatch_pending, unexpected
from crawler.alerts.slack import SlackSink
from crawler.alerts.slack_outbox import SlackDispatcher
from crawler.app_config import AppConfig

logger = logging.getLogger(__name__)


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
        try:
            if isinstance(sink, SlackSink):
                report = SlackDispatcher(engine, config, sink).run()
            else:
                report = dispatch_pending(engine, sink, config.slack.burst_threshold)
        except Exception as exc:  # survived on purpose: see the module doc
            logger.error("Delivery to %s stopped for this pass: %s", sink.prefix, unexpected(exc))
            report = DispatchReport(errors=1)
        total.add(report)
    return total
