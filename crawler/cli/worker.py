"""``govwatch worker`` and ``govwatch run --role scheduler``: the distributed mode
(docs/scaling.md). Both need PostgreSQL; on SQLite they exit 2 with one line."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from crawler.cli.context import config_paths, engine, stderr
from crawler.logs import configure_logging

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _postgres_engine_or_exit(command: str) -> Engine:
    from storage.cluster import DISTRIBUTED_NEEDS_POSTGRES

    database = engine()
    if database.dialect.name != "postgresql":
        stderr.print(f"govwatch {command}: {DISTRIBUTED_NEEDS_POSTGRES}", markup=False)
        raise typer.Exit(2)
    return database


def worker_command(
    ctx: typer.Context,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Crawl jobs this worker runs at once.")
    ] = 4,
) -> None:
    """Run queued crawls (PostgreSQL only); start as many workers as needed, anywhere.

    Needs a `govwatch run --role scheduler` on the same database to queue the crawls.
    Stops gracefully on SIGTERM/SIGINT; SIGHUP re-reads the configuration.

    Example: GOVWATCH_DATABASE_URL=postgresql+psycopg://govwatch@db/govwatch govwatch worker
    """
    from crawler.service.workers import serve_worker

    database = _postgres_engine_or_exit("worker")
    paths = config_paths()
    configure_logging(_log_level(ctx))
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    raise typer.Exit(serve_worker(database, paths, concurrency))


def run_scheduler_role(log_level: str, explicit: bool) -> None:
    """``govwatch run --role scheduler``: lead (or stand by) and queue due crawls."""
    from crawler.service.cluster_schedule import serve_scheduler

    database = _postgres_engine_or_exit("run --role scheduler")
    paths = config_paths()
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    code = serve_scheduler(database, paths, log_level=log_level if explicit else None)
    raise typer.Exit(code)


def _log_level(ctx: typer.Context) -> str:
    parent = ctx.parent
    source = parent.get_parameter_source("log_level") if parent is not None else None
    if parent is not None and getattr(source, "name", "") == "COMMANDLINE":
        return str(parent.params["log_level"])
    from crawler.app_config import default_app_config_path, read_app_config

    return read_app_config(default_app_config_path()).log_level
