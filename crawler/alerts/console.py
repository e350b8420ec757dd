"""The console sink: one readable block per new publication, coloured on a terminal.

It is the default when no Slack token is configured, so a newcomer sees alerts at once.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from crawler.alerts.message import alert_message, source_name
from storage.models import AlertOutbox, Publication

SUMMARY_TITLES = 10
SUMMARY_CHARS = 1200  # as in Slack (crawler/alerts/blocks.py)


class ConsoleSink:
    """Delivers outbox rows whose destination is ``console``."""

    prefix = "console"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(soft_wrap=False)

    def deliver(self, row: AlertOutbox, publication: Publication | None) -> str | None:
        if publication is None:
            self.console.print(f"[bold red]ops[/] {escape(str(row.payload.get('text', '')))}")
            return None
        message = alert_message(publication)
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
        return None

    def deliver_burst(self, source_id: str, publications: list[Publication]) -> None:
        """Many new items of one source at once: one summary block, newest titles first."""
        shown = publications[:SUMMARY_TITLES]
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for publication in shown:
            when = alert_message(publication).when
            table.add_row(escape(when), escape(f"{publication.title}  {publication.url}"))
        more = len(publications) - len(shown)
        if more:
            table.add_row("", f"… and {more} more (govwatch stores them all)")
        self.console.print(
            Panel(
                table,
                title=f"[bold]{len(publications)} new from {escape(source_name(source_id))}[/]",
                title_align="left",
            )
        )


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
