"""``govwatch db``: schema migrations (Alembic) for SQLite or PostgreSQL."""

from __future__ import annotations

import typer

from crawler.cli.context import stdout
from storage.db import database_url, is_current, make_engine, redact_url, upgrade

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
