"""``govwatch run`` (the scheduler daemon) and ``govwatch reload`` (make it re-read config)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crawler.cli.context import config_paths, engine, stderr, stdout
from crawler.cli.worker import run_scheduler_role
from crawler.logs import configure_logging

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crawler.app_config import AppConfig
    from crawler.sources import SourceConfig

RELOAD_WAIT_SECONDS = 15.0


def load_configuration(
    sources_path: Path, config_path: Path
) -> tuple[dict[str, SourceConfig], AppConfig]:
    """:func:`crawler.service.daemon.load_configuration`, imported when a command runs it
    (the daemon's modules load Scrapy, Twisted and the alert sinks)."""
    from crawler.service.daemon import load_configuration as load

    return load(sources_path, config_path)


def serve_until_stopped(
    database: Engine, paths: tuple[Path, Path], *, log_level: str | None = None
) -> int:
    """:func:`crawler.service.daemon.serve_until_stopped`, imported when ``run`` starts."""
    from crawler.service.daemon import serve_until_stopped as serve

    return serve(database, paths, log_level=log_level)


def run_command(
    ctx: typer.Context,
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            help="`scheduler`: only queue due crawls for `govwatch worker`s (PostgreSQL; "
            "docs/scaling.md). Default: schedule and crawl in this process.",
        ),
    ] = None,
) -> None:
    """Run the scheduler daemon: crawl every enabled source on its schedule.

    Stops gracefully on SIGTERM/SIGINT (a second signal exits at once); SIGHUP or
    `govwatch reload` re-reads the configuration. Only one may run per database.

    Example: GOVWATCH_DATABASE_URL=postgresql+psycopg://govwatch@db/govwatch govwatch run
    """
    if role not in (None, "scheduler"):
        stderr.print(f"govwatch run: unknown --role {role!r}; the only role is `scheduler`")
        raise typer.Exit(2)
    paths = config_paths()
    _sources, config = load_configuration(*paths)
    # `govwatch --log-level DEBUG run` (or -v / -q) wins over the config file's log_level.
    chosen = (ctx.obj or {}).get("log_level")
    explicit = chosen is not None
    level = str(chosen) if explicit else config.log_level
    configure_logging(level)
    # APScheduler logs every job start and end at INFO; the runner's one line per run says more.
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if role == "scheduler":
        run_scheduler_role(level, explicit)
    code = serve_until_stopped(engine(), paths, log_level=level if explicit else None)
    raise typer.Exit(code)


def reload_command() -> None:
    """Make the running `govwatch run` re-read its configuration.

    An invalid configuration is refused and the old one keeps running; prints what changed.

    Example: govwatch reload
    """
    from crawler.service.lease import LEASE_NAME
    from storage.db import transaction
    from storage.leases import read_lease
    from storage.models import utcnow

    load_configuration(*config_paths())
    database = engine()
    with transaction(database) as session:
        lease = read_lease(session, LEASE_NAME)
    if lease is None or lease.stopped_at is not None:
        stderr.print("govwatch reload: no `govwatch run` is running on this database")
        raise typer.Exit(1)
    if lease.hostname != socket.gethostname():
        stderr.print(
            f"govwatch reload: the scheduler runs on {lease.hostname} (pid {lease.pid}); "
            "run `govwatch reload` there, or `systemctl reload govwatch`"
        )
        raise typer.Exit(1)
    sent_at, pid = utcnow(), lease.pid
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        stderr.print(f"govwatch reload: the scheduler (pid {pid}) is not running any more")
        raise typer.Exit(1) from None
    deadline = time.monotonic() + RELOAD_WAIT_SECONDS
    while time.monotonic() < deadline:
        with transaction(database) as session:
            lease = read_lease(session, LEASE_NAME)
        if lease is not None and lease.reloaded_at is not None and lease.reloaded_at >= sent_at:
            message = lease.reload_message or ""
            stdout.print(f"pid {pid}: {message}", markup=False)
            raise typer.Exit(0 if message.startswith("reloaded") else 1)
        time.sleep(0.2)
    stderr.print(f"govwatch reload: sent SIGHUP to pid {pid}; no answer yet (see its log)")
    raise typer.Exit(1)
