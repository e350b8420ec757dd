"""``govwatch run`` (the scheduler daemon) and ``govwatch reload`` (make it re-read config)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from typing import Annotated

import typer

from crawler.app_config import default_app_config_path
from crawler.cli.context import engine, stderr, stdout
from crawler.cli.worker import run_scheduler_role
from crawler.config_loader import default_sources_path
from crawler.logs import configure_logging
from crawler.service.daemon import load_configuration, serve_until_stopped
from crawler.service.lease import LEASE_NAME
from storage.db import transaction
from storage.leases import read_lease
from storage.models import utcnow

RELOAD_WAIT_SECONDS = 15.0


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
    paths = (default_sources_path(), default_app_config_path())
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
    load_configuration(default_sources_path(), default_app_config_path())
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
