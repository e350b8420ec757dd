"""``govwatch db``: schema migrations (Alembic) for SQLite or PostgreSQL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from crawler.cli.context import engine, stdout

# Alembic and SQLAlchemy are imported by the commands, not for `govwatch --help`.
if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="Database schema commands.", no_args_is_help=True)


def revisions(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's Alembic revision or None when it has no schema, the newest one)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision(), head


@app.command("upgrade")
def upgrade_command() -> None:
    """Bring the database schema to the newest version.

    Example: GOVWATCH_DATABASE_URL=postgresql+psycopg://localhost/govwatch govwatch db upgrade
    """
    from storage.db import database_url, make_engine, redact_url, upgrade

    engine = make_engine(database_url())
    upgrade(engine)
    current, _head = revisions(engine)
    stdout.print(
        f"Database {redact_url(database_url())} is at the current schema (revision {current}).",
        markup=False,
    )


@app.command("status")
def status_command() -> None:
    """Print the database's schema revision; exit 1 if it needs `govwatch db upgrade`.

    Example: govwatch db status
    """
    from storage.db import database_url, is_current, make_engine, redact_url

    engine = make_engine(database_url(), create=False)
    where = redact_url(str(engine.url))  # as read: postgres:// shows as postgresql+psycopg://
    current_schema = is_current(engine)  # also turns "cannot connect" into one clear line
    current, head = revisions(engine)
    if current_schema:
        stdout.print(
            f"Database {where} is at the current schema (revision {current}).", markup=False
        )
        return
    found = f"revision {current}" if current else "no schema yet"
    stdout.print(
        f"Database {where} has {found}; the newest is {head}: run `govwatch db upgrade`.",
        markup=False,
    )
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
    from crawler.app_config import load_app_config
    from storage.retention import prune

    policy = load_app_config().retention.policy()
    report = prune(engine(), policy, dry_run=dry_run)
    if as_json:
        print(json.dumps(report.as_json()))
    else:
        stdout.print(str(report) + ".")
