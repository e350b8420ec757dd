"""``govwatch routes explain``: why a publication's alerts went where they went.

It replays the decision with today's ``config/routing.yaml`` (which keyword gave which
topic, which route matched or why not, whether the default channel took it) and sets it
beside what the outbox actually holds, so a changed rule or a baseline crawl is visible.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from crawler.cli.context import engine, stderr, stdout

# The alert stack and SQLAlchemy are imported by the command, not for `govwatch --help`.
if TYPE_CHECKING:
    from storage.models import AlertOutbox, CrawlRun, Publication

app = typer.Typer(help="Explain how alerts are routed.", no_args_is_help=True)


@app.command("explain")
def explain_command(
    publication_id: Annotated[int, typer.Argument(metavar="PUBLICATION_ID")],
    as_json: Annotated[bool, typer.Option("--json", help="The explanation as one object.")] = False,
) -> None:
    """Show the topics, matching routes and outbox rows of one stored publication.

    Example: govwatch routes explain 42
    """
    from crawler.alerts.router import CONSOLE, destination_for, names_a_sink
    from crawler.alerts.routing import RoutedFields, decide
    from crawler.alerts.routing_config import default_routing_path, load_routing
    from crawler.alerts.topics import TopicMatcher
    from crawler.app_config import load_app_config
    from storage.db import transaction
    from storage.outbox import outbox_rows_of
    from storage.publications_read import get_publication, publication_run

    config = load_app_config()
    routing = load_routing(default_routing_path(config))
    with transaction(engine()) as session:
        publication = get_publication(session, publication_id)
        if publication is None:
            stderr.print(f"No publication {publication_id} in the database.")
            raise typer.Exit(1)
        rows = outbox_rows_of(session, publication_id)
        run = publication_run(session, publication)
    hits = TopicMatcher.from_routing(routing).explain(publication.title, publication.summary)
    decision = decide(routing, RoutedFields.of(publication), config.slack.default_channel)
    has_token = config.slack.token() is not None
    would_go = [  # Slack channels need a token; Apprise channels (apprise:NAME) do not
        destination_for(channel)
        for channel in decision.channels
        if has_token or names_a_sink(channel)
    ]
    explanation: dict[str, Any] = {
        "publication_id": publication.id,
        "title": publication.title,
        "source_id": publication.source_id,
        "topics": list(publication.topics),
        "topic_reasons": [hit.__dict__ for hit in hits],
        "routes_matched": [hit.__dict__ for hit in decision.hits],
        "routes_not_matched": [{"route": name, "why": why} for name, why in decision.misses],
        "default_channel_used": decision.used_default,
        "destinations_now": would_go or [CONSOLE],
        "outbox": [
            {
                "id": row.id,
                "destination": row.destination,
                "status": row.status,
                "attempts": row.attempts,
                "message_ref": row.message_ref,
                "last_error": row.last_error,
            }
            for row in rows
        ],
        "not_alerted_because": _why_no_alert(publication, rows, run),
        "slack_token": has_token,
    }
    if as_json:
        print(json.dumps(explanation, ensure_ascii=False))
        return
    _print(explanation)


def _why_no_alert(publication: Publication, rows: list[AlertOutbox], run: CrawlRun | None) -> str:
    if rows:
        return ""
    if publication.duplicate_of is not None:
        return f"a duplicate of publication {publication.duplicate_of} from another source"
    if run is not None and run.is_baseline:
        return "stored by the source's first (baseline) crawl, which is silent (see --backfill)"
    return "no outbox row was written (alerts were disabled for its crawl)"


def _print(info: dict[str, Any]) -> None:
    out = stdout.print
    out(f"[bold]Publication {info['publication_id']}[/]: {escape(info['title'])}")
    out(f"source {info['source_id']}")
    out(f"\n[bold]Topics stored[/]: {escape(', '.join(info['topics']) or '—')}")
    explained = set()
    for hit in info["topic_reasons"]:
        explained.add(hit["topic"])
        matched = escape(repr(hit["matched"]))
        out(f"  {escape(hit['topic'])} ← {escape(hit['rule'])} in {hit['field']} ({matched})")
    for topic in info["topics"]:
        if topic not in explained:
            out(f"  {escape(topic)} ← not from today's keyword rules (set by the spider)")
    out("\n[bold]Routes[/]")
    for hit in info["routes_matched"]:
        channels = escape(", ".join(hit["channels"]))
        because = escape("; ".join(hit["because"]))
        out(f"  [green]✓[/] {escape(hit['route'])} → {channels} ({because})")
    for miss in info["routes_not_matched"]:
        out(f"  [dim]✗ {escape(miss['route'])}: {escape(miss['why'])}[/]")
    if info["default_channel_used"]:
        out("  no route matched → the default channel (slack.default_channel)")
    if not info["slack_token"]:
        out("  no Slack token configured → every alert goes to the console")
    out(f"\n[bold]Destinations by today's rules[/]: {escape(', '.join(info['destinations_now']))}")
    out("\n[bold]Outbox[/]")
    for row in info["outbox"]:
        ref = f" {row['message_ref']}" if row["message_ref"] else ""
        error = f" — {row['last_error']}" if row["last_error"] else ""
        state = f"{row['status']}, {row['attempts']} attempt(s)"
        out(f"  #{row['id']} {escape(row['destination'])}: {state}{escape(ref + error)}")
    if info["not_alerted_because"]:
        out(f"  none: {escape(info['not_alerted_because'])}")
    stored = {row["destination"] for row in info["outbox"]}
    if stored and stored != set(info["destinations_now"]):
        out("  (the rules have changed since it was stored: today it would go elsewhere)")
