"""``govwatch publications list|search|show``: what the web app lists, in the terminal.

``--json`` prints JSON Lines, one record per publication (docs/cli.md, "govwatch
publications"); ``show --json`` adds the publication's alert deliveries.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.context import engine, stderr, stdout

# SQLAlchemy and the web app's records are imported by the commands, not for `--help`.
if TYPE_CHECKING:
    from storage.models import Publication
    from storage.publications_read import PublicationFilter

app = typer.Typer(help="List, search and show stored publications.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="JSON Lines, one object each.")]
LimitOption = Annotated[int, typer.Option(help="At most this many, newest first.", min=1)]


def _filter(
    query: str = "",
    source: str = "",
    country: str = "",
    language: str = "",
    topic: str = "",
    since: str = "",
) -> PublicationFilter:
    from storage.publications_read import PublicationFilter

    try:
        date_from = date.fromisoformat(since) if since else None
    except ValueError:
        raise typer.BadParameter(f"--since {since!r} is not a date like 2026-01-31") from None
    return PublicationFilter(
        q=query, source=source, country=country, language=language, topic=topic,
        date_from=date_from,
    )  # fmt: skip


@app.command("list")
def list_command(
    source: Annotated[str, typer.Option(help="Only this source id.")] = "",
    country: Annotated[str, typer.Option(help="Only this country code.")] = "",
    language: Annotated[str, typer.Option(help="Only this language code.")] = "",
    topic: Annotated[str, typer.Option(help="Only publications with this topic.")] = "",
    since: Annotated[str, typer.Option(help="Published on or after this date (YYYY-MM-DD).")] = "",
    limit: LimitOption = 50,
    as_json: JsonOption = False,
) -> None:
    """List stored publications, newest first. Example: govwatch publications list --topic AI"""
    wanted = _filter(source=source, country=country, language=language, topic=topic, since=since)
    _print_list(wanted, limit, as_json)


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="Words that must all appear.")],
    source: Annotated[str, typer.Option(help="Only this source id.")] = "",
    limit: LimitOption = 50,
    as_json: JsonOption = False,
) -> None:
    """Search titles and summaries: any language, substrings, every word required.

    Example: govwatch publications search 半導体
    """
    if not query.strip():
        raise typer.BadParameter("QUERY is empty")
    _print_list(_filter(query=query, source=source), limit, as_json)


@app.command("show")
def show_command(
    publication_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
) -> None:
    """Show one publication and where its alerts went. Example: govwatch publications show 42"""
    from crawler.web.records import publication_record
    from storage import publications_read as read
    from storage.db import transaction

    with transaction(engine()) as session:
        publication = read.get_publication(session, publication_id)
        if publication is None:
            stderr.print(f"No publication {publication_id} in the database.")
            raise typer.Exit(1)
        alerts = [
            {
                "destination": row.destination,
                "status": row.status,
                "attempts": row.attempts,
                "queued_at": row.created_at.isoformat(),
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                "message_ref": row.message_ref,
                "last_error": row.last_error,
            }
            for row in read.outbox_rows(session, publication_id)
        ]
        record: dict[str, Any] = publication_record(publication) | {"alerts": alerts}
    if as_json:
        print(json.dumps(record, ensure_ascii=False))
        return
    out = stdout.print
    out(f"[bold]{escape(str(record['title']))}[/]")
    for key in ("id", "source", "url", "published", "publisher", "country", "language",
                "doc_type", "first_seen_at", "duplicate_of"):  # fmt: skip
        if record[key] is not None:
            out(f"  {key}: {escape(str(record[key]))}")
    out(f"  topics: {escape(', '.join(record['topics']) or '—')}")
    for attachment in record["attachments"]:
        out(f"  attachment: {escape(str(attachment.get('url')))}")
    if record["summary"]:
        out(f"\n{escape(str(record['summary']))}\n")
    for alert in alerts:
        when = alert["sent_at"] or "not yet"
        out(f"  alert → {escape(str(alert['destination']))}: {alert['status']}, sent {when}")
    if not alerts:
        out("  no alert was queued (`govwatch routes explain ID` says why)")


def _print_list(wanted: PublicationFilter, limit: int, as_json: bool) -> None:
    from crawler.web.records import publication_record
    from storage import publications_read as read
    from storage.db import transaction

    with transaction(engine()) as session:
        found = read.list_publications(session, wanted, limit=limit)
    if as_json:
        for publication in found:
            print(json.dumps(publication_record(publication), ensure_ascii=False))
        return
    _print_table(found)


def _print_table(found: list[Publication]) -> None:
    table = Table(title=f"{len(found)} publications", title_justify="left")
    for column in ("id", "published", "source", "title"):
        table.add_column(column, overflow="fold")
    for publication in found:
        table.add_row(
            str(publication.id),
            str(publication.published_on or ""),
            publication.source_id,
            escape(publication.title),
        )
    stdout.print(table)
