"""The console sink: one readable block per new publication, coloured on a terminal.

It is always enabled, so a newcomer sees alerts at once and ops notices about a broken
sink have somewhere to go. Page text is escaped for Rich markup (``[bold]`` in a title is
shown, not obeyed). It cannot look back at what it printed, so it has no exactly-once
check: a row printed just before a crash is printed again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from crawler.alerts.message import AlertMessage, source_name
from crawler.alerts.sinks.base import Alert, Burst, DeliveryResult, Sink
from crawler.alerts.sinks.registry import register
from crawler.app_config import AppConfig

SUMMARY_TITLES = 10
SUMMARY_CHARS = 1200  # as in Slack (crawler/alerts/blocks.py)


class ConsoleSink:
    """Delivers outbox rows whose destination is ``console``."""

    name = "console"
    label = "The console"
    keeps_order = False  # each block stands alone; one that fails does not hold the others
    shared_service = False
    pace = timedelta(0)

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(soft_wrap=False)

    def deliver(self, alert: Alert) -> DeliveryResult:
        if alert.view is None:
            text = alert.notice.text if alert.notice else ""
            self.console.print(f"[bold red]ops[/] {escape(text)}")
            return DeliveryResult()
        self.show(alert.view)
        return DeliveryResult()

    def show(self, message: AlertMessage) -> None:
        """One publication as a panel: the link, the view's fields, attachments, summary."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        table.add_row("Link", escape(message.url))
        for name, value in message.fields:
            table.add_row(name, escape(value))
        for attachment in message.attachments:
            table.add_row("Attachment", f"{escape(attachment.title)}: {escape(attachment.url)}")
        if message.summary:
            table.add_row("Summary", escape(_trim(message.summary, SUMMARY_CHARS)))
        self.console.print(
            Panel(table, title=f"[bold]New: {escape(message.title)}[/]", title_align="left")
        )

    def deliver_burst(self, burst: Burst) -> DeliveryResult:
        """Many new items of one source at once: one summary block, newest titles first."""
        shown = burst.newest_first[:SUMMARY_TITLES]
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for message in shown:
            table.add_row(escape(message.when), escape(f"{message.title}  {message.url}"))
        more = burst.total - len(shown)
        if more:
            table.add_row("", f"… and {more} more (govwatch stores them all)")
        self.console.print(
            Panel(
                table,
                title=f"[bold]{burst.total} new from {escape(source_name(burst.source_id))}[/]",
                title_align="left",
            )
        )
        return DeliveryResult()

    def already_delivered(
        self, target: str, outbox_ids: list[int], since: datetime
    ) -> dict[int, str]:
        return {}  # a terminal cannot be read back


@register("console", order=90)
def build(config: AppConfig) -> Sink:
    return ConsoleSink()


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
