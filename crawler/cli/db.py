"""``govwatch db``: schema migrations (Alembic) for SQLite or PostgreSQL."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from crawler.app_config import load_app_config
from crawler.cli.context import engine, stdout
from storage.db import database_url, is_current, make_engine, redact_url, upgrade
from storage.retention import prune

app = typer.Typer(help="Database schema commands.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Bring the database schema to the newest version.

    Example: GOVWATCH_DATABASE_URL=postgresql+psycopg://localhost/govwatch govwatch db upgrade
    """
    engine = make_engine(database_url())
    upgrade(engine)
    stdout.print(f"Database {redact_url(database_url())} is at the current schema.")


@app.command("status")
def status_command() -> None:
    """Say whether the database schema is current (exit 1 if not).

    Example: govwatch db status
    """
    engine = make_engine(database_url(), create=False)
    shown = redact_url(str(engine.url))
    if is_current(engine):
        stdout.print(f"Database {shown} is at the current schema.")
        return
    stdout.print(f"Database {shown} needs `govwatch db upgrade`.")
    raise typer.Exit(1)


@app.command("prune")
def prune_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Delete old crawl runs, delivered alerts and stale URL validators.

    Periods come from `retention` in govwatch.yaml; publications and undelivered alerts are
    never pruned. `govwatch run` does this every `retention.every` by itself.

    Example: govwatch db prune --dry-run
    """
    policy = load_app_config().retention.policy()
    report = prune(engine(), policy, dry_run=dry_run)
    if as_json:
        print(json.dumps(report.as_json()))
    else:
        stdout.print(str(report) + ".")
