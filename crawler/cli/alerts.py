"""``govwatch alerts``: test the Slack set-up, see what waits or failed, and resend it.

Failed rows stay in the outbox with their reason until someone acts; ``retry`` puts them
back in the queue (keeping their attempt count, so a message that may already have been
posted is looked up in the channel history before it is sent again).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.context import engine, stderr, stdout

# The alert stack (Slack SDK, aiohttp, Apprise) is imported by the commands that use it.
if TYPE_CHECKING:
    from crawler.app_config import AppConfig
    from storage.models import AlertOutbox, Publication

app = typer.Typer(help="Test, inspect and resend alerts.", no_args_is_help=True)


def configured_channels(config: AppConfig) -> list[str]:
    """The default channel, every channel a route names, and the ops channel; each once."""
    from crawler.alerts.routing_config import default_routing_path, load_routing

    routing = load_routing(default_routing_path(config))
    named = [config.slack.default_channel, *routing.channels(), config.slack.ops_channel]
    seen: dict[str, str] = {}
    for channel in named:
        if channel:
            seen.setdefault(channel.removeprefix("#").casefold(), channel)
    return list(seen.values())


def sample_publication() -> Publication:
    """A made-up publication that also shows escaping: the <!channel> below must not ping."""
    from storage.models import Publication

    return Publication(
        id=0,
        source_id="xx_govwatch_sample",
        doc_key="sample",
        url="https://www.example.gov/news/govwatch-test",
        title="govwatch test alert: R&D <budget> notice (<!channel> is shown, not sent)",
        published_on=datetime.now(UTC).date(),
        published_at=None,
        language="en",
        country="US",
        publisher="govwatch",
        doc_type="test",
        summary="If you can read this in the channel, govwatch can post here.",
        attachments=[
            {"url": "https://www.example.gov/test.pdf", "title": "Sample", "size": 123456}
        ],
        topics=["AI"],
        first_seen_at=datetime.now(UTC),
    )


@app.command("test")
def test_command() -> None:
    """Send one sample alert to each configured channel (the console without a token).

    Example: SLACK_BOT_TOKEN=xoxb-… govwatch alerts test
    """
    from crawler.alerts.blocks import publication_payload
    from crawler.alerts.message import alert_message
    from crawler.alerts.sinks.console import ConsoleSink
    from crawler.alerts.sinks.slack import SlackError, SlackSink
    from crawler.app_config import load_app_config

    config = load_app_config()
    channels = configured_channels(config)
    token = config.slack.token()
    sample = sample_publication()
    if not token:
        ConsoleSink(stdout).show(alert_message(sample))
        stdout.print(
            f"No Slack token in ${config.slack.token_env} (or slack.token_file): the sample "
            f"was shown here. Channels configured: {', '.join(channels) or 'none'}."
        )
        return
    if not channels:
        stderr.print("No channel configured: set slack.default_channel or add routes.")
        raise typer.Exit(2)
    sink = SlackSink(config.slack, token)
    try:
        who = sink.auth_test()
    except SlackError as exc:
        stderr.print(f"[red]Slack refused the token[/]: {escape(exc.reason)}")
        raise typer.Exit(1) from exc
    stdout.print(f"Token OK: bot {who.get('user')} in {who.get('team')}.")
    failures = 0
    for channel in channels:
        metadata = {"event_type": "govwatch_test", "event_payload": {"channel": channel}}
        try:
            posted = sink.post(channel, publication_payload(sample), metadata)
        except SlackError as exc:
            failures += 1
            stdout.print(f"[red]✗[/] {escape(channel)}: {escape(exc.reason)}")
            continue  # each channel is tried and reported; the exit code carries the failure
        stdout.print(f"[green]✓[/] {escape(channel)}: posted ({posted.ref})")
    if failures:
        raise typer.Exit(1)


@app.command("pending")
def pending_command(
    failed_only: Annotated[bool, typer.Option("--failed", help="Only failed rows.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per row.")] = False,
) -> None:
    """List alerts waiting to go out and alerts that failed (exit 1 if any failed).

    Example: govwatch alerts pending --failed
    """
    from storage.db import transaction
    from storage.outbox import outbox_rows_with_titles

    statuses = ["failed"] if failed_only else ["pending", "failed"]
    with transaction(engine()) as session:
        found = outbox_rows_with_titles(session, statuses)
    rows = [(row, title or str((row.payload or {}).get("text", ""))) for row, title in found]
    if as_json:
        for row, title in rows:
            print(json.dumps(row_json(row, title), ensure_ascii=False))
    else:
        table = Table(title=f"{len(rows)} alerts waiting or failed", title_justify="left")
        for column in ("id", "status", "kind", "destination", "attempts", "next try", "error"):
            table.add_column(column, overflow="fold")
        table.add_column("title / text", overflow="fold", max_width=60)
        for row, title in rows:
            table.add_row(
                str(row.id),
                f"[red]{row.status}[/]" if row.status == "failed" else row.status,
                row.kind,
                escape(row.destination),
                str(row.attempts),
                row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if row.next_attempt_at else "now",
                escape(row.last_error or ""),
                escape(title),
            )
        stdout.print(table)
    if any(row.status == "failed" for row, _ in rows):
        raise typer.Exit(1)


def row_json(row: AlertOutbox, title: str) -> dict[str, object]:
    return {
        "id": row.id,
        "status": row.status,
        "kind": row.kind,
        "publication_id": row.publication_id,
        "destination": row.destination,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "last_error": row.last_error,
        "title": title,
    }


@app.command("retry")
def retry_command(
    outbox_ids: Annotated[list[int] | None, typer.Argument(metavar="OUTBOX_ID...")] = None,
    all_failed: Annotated[bool, typer.Option("--all", help="Every failed row.")] = False,
    send: Annotated[bool, typer.Option("--send/--no-send", help="Deliver right away.")] = True,
) -> None:
    """Queue failed alerts again and deliver them (exit 1 if any still fail).

    Example: govwatch alerts retry --all
    """
    if not outbox_ids and not all_failed:
        raise typer.BadParameter("name at least one OUTBOX_ID, or use --all")
    from crawler.alerts.dispatch import dispatch_all
    from crawler.app_config import load_app_config
    from storage.db import transaction
    from storage.outbox import requeue_failed

    database = engine()
    with transaction(database) as session:
        requeued = requeue_failed(session, outbox_ids)
    stdout.print(f"Queued {requeued} failed alert(s) again.")
    if not send:
        return
    report = dispatch_all(database, load_app_config())
    stdout.print(
        f"Sent {report.sent}, waiting {report.retrying}, failed {report.failed} "
        "(`govwatch alerts pending` shows the rest)."
    )
    if report.failed or report.retrying:
        raise typer.Exit(1)
