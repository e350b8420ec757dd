"""``govwatch digest build|list|show|approve|publish``: the weekly digest in the terminal.

``--json`` prints JSON Lines (docs/cli.md, "govwatch digest"). Reviewing happens in
``govwatch web`` (docs/digest.md); these commands build, inspect and publish.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from crawler.cli.context import configured_sources, engine, stdout

# The digest's stack (trafilatura, the alert sinks, SQLAlchemy) is imported by the
# commands that use it, not for `govwatch --help`.
if TYPE_CHECKING:
    from crawler.alerts.sinks.console import ConsoleSink
    from storage.models import Digest

app = typer.Typer(help="Build, review and publish the weekly digest.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="JSON Lines, one object each.")]


def _console(as_json: bool) -> ConsoleSink | None:
    """With ``--json``, console alerts go to stderr: stdout carries only JSON Lines."""
    from crawler.alerts.sinks.console import ConsoleSink

    return ConsoleSink(Console(stderr=True, soft_wrap=False)) if as_json else None


def digest_record(digest: Digest, items: int | None = None) -> dict[str, Any]:
    return {
        "id": digest.id,
        "label": digest.label,
        "period_start": digest.period_start.isoformat(),
        "period_end": digest.period_end.isoformat(),
        "state": digest.state,
        "snapshot_at": digest.snapshot_at.isoformat(),
        "approved_by": digest.approved_by,
        "approved_at": digest.approved_at.isoformat() if digest.approved_at else None,
        "published_at": digest.published_at.isoformat() if digest.published_at else None,
        "items": items,
    }


@app.command("build")
def build_command(
    week: Annotated[str, typer.Option(help="An ISO week, e.g. 2026-W48.")] = "",
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")] = "",
    date_to: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = "",
    fetch: Annotated[
        bool, typer.Option(help="Fetch detail pages of items without a usable summary.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Snapshot the publications first seen in a week (default: the week containing
    yesterday). Example: govwatch digest build --week 2026-W48"""
    from crawler.alerts.dispatch import dispatch_all
    from crawler.app_config import load_app_config
    from crawler.digest import period as periods
    from crawler.digest.service import build_and_announce

    config = load_app_config()
    zone = config.digest.timezone
    if week and (date_from or date_to):
        raise typer.BadParameter("give --week or --from/--to, not both")
    if bool(date_from) != bool(date_to):
        raise typer.BadParameter("--from and --to go together")
    period = (
        periods.week(week, zone) if week
        else periods.between(date_from, date_to, zone) if date_from
        else None
    )  # fmt: skip
    db = engine()
    sources = configured_sources() if fetch and config.digest.fetch_detail_pages else {}
    result = build_and_announce(db, config, sources, period, fetch=fetch and bool(sources))
    dispatch_all(db, config, _console(as_json))
    record = {
        "id": result.digest_id, "label": result.label, "created": result.created,
        "added": result.added, "kept": result.kept, "pending": result.pending,
        "note": result.note or None,
    }  # fmt: skip
    if as_json:
        print(json.dumps(record, ensure_ascii=False))
        return
    if result.digest_id is None:
        stdout.print(f"No digest: {escape(result.note)}.")
        return
    verb = "Built" if result.created else "Rebuilt"
    if result.note:
        stdout.print(escape(result.note))
        return
    stdout.print(
        f"{verb} digest {result.digest_id} ({escape(result.label)}): {result.added} new, "
        f"{result.kept} kept, {result.pending} pending."
    )


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """List digests, newest period first. Example: govwatch digest list --json"""
    from storage import digests as store
    from storage.db import transaction

    with transaction(engine()) as session:
        found = [
            digest_record(d, len(store.items(session, d.id))) for d in store.list_digests(session)
        ]
    for record in found:
        if as_json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            stdout.print(
                f"{record['id']:>4}  {record['label']:<24} {record['state']:<10} "
                f"{record['items']} items"
            )
    if not found and not as_json:
        stdout.print("No digests yet (`govwatch digest build`).")


@app.command("show")
def show_command(
    digest_id: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonOption = False
) -> None:
    """Show a digest's items by country. Example: govwatch digest show 3"""
    from crawler.digest.publish import DigestError
    from crawler.digest.render import sections
    from storage import digests as store
    from storage.db import transaction

    with transaction(engine()) as session:
        digest = store.get_digest(session, digest_id)
        if digest is None:
            raise DigestError(f"no digest {digest_id} (`govwatch digest list`)")
        parts = sections(session, digest, included_only=False)
        record = digest_record(digest, sum(len(p.rows) for p in parts))
    if as_json:
        print(json.dumps(record, ensure_ascii=False))
        for part in parts:
            for row in part.rows:
                item = {
                    "digest_id": digest_id, "item_id": row.item_id,
                    "publication_id": row.publication_id, "country": part.country,
                    "title": row.title, "url": row.url, "publisher": row.publisher,
                    "date": row.date, "topic": row.topic, "included": row.included,
                    "lead": row.lead, "key_points": row.key_points,
                }  # fmt: skip
                print(json.dumps(item, ensure_ascii=False))
        return
    stdout.print(f"[bold]Digest {escape(digest.label)}[/] — {record['state']}")
    for part in parts:
        stdout.print(f"\n[bold]{escape(part.country)}[/]")
        for row in part.rows:
            mark = "x" if row.included else " "
            lead = " (lead)" if row.lead else ""
            stdout.print(
                f" [{mark}] {escape(row.title)}{lead} — {escape(row.publisher)} / {row.date}"
            )
            if row.key_points:
                stdout.print(f"     {escape(row.key_points)}")


@app.command("approve")
def approve_command(
    digest_id: Annotated[int, typer.Argument(metavar="ID")],
    by: Annotated[str, typer.Option("--by", help="Who approves.")],
) -> None:
    """Approve a draft. Example: govwatch digest approve 3 --by "A. Editor\""""
    from crawler.digest.publish import DigestError, approve
    from storage import digests as store
    from storage.db import transaction

    with transaction(engine()) as session:
        digest = store.get_digest(session, digest_id)
        if digest is None:
            raise DigestError(f"no digest {digest_id}")
        approve(session, digest, by)
    stdout.print(f"Digest {digest_id} approved.")


@app.command("publish")
def publish_command(
    digest_id: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonOption = False
) -> None:
    """Publish an approved digest: HTML, Markdown, Slack. Publishing again posts nothing.

    Example: govwatch digest publish 3
    """
    from crawler.alerts.dispatch import dispatch_all
    from crawler.app_config import load_app_config
    from crawler.digest.publish import publish

    config = load_app_config()
    db = engine()
    result = publish(db, config, digest_id)
    report = dispatch_all(db, config, _console(as_json))
    record = {
        "id": result.digest_id, "label": result.label, "newly_published": result.newly,
        "messages_queued": result.messages, "html": str(result.html),
        "markdown": str(result.markdown), "delivered": report.sent, "waiting": report.retrying,
        "failed": report.failed,
    }  # fmt: skip
    if as_json:
        print(json.dumps(record, ensure_ascii=False))
    elif result.newly:
        stdout.print(
            f"Published {escape(result.label)}: {result.messages} messages queued "
            f"({report.sent} delivered now); {escape(str(result.html))}, "
            f"{escape(str(result.markdown))}"
        )
    else:
        stdout.print(f"{escape(result.label)} was already published; nothing posted again.")
    if report.failed:
        raise typer.Exit(1)
