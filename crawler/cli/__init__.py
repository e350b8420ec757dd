"""The ``govwatch`` command: ``govwatch <verb> [target] [options]``.

Results go to stdout, logs to stderr. Exit 0 means OK, 1 that a problem was found (a source
failed, an alert could not be sent), 2 a usage or configuration error. ``--json`` output is
a stable interface documented in docs/cli.md.

Start-up is part of the interface: ``govwatch --help``, ``sources`` or ``status`` must not
pay for Scrapy, Twisted, the Slack and Apprise stacks or the digest's text extraction.
So the command modules imported here hold only their Typer signatures (which Typer reads
to build the help) and import what a command runs inside its function, when it runs;
``tests/test_cli_startup.py`` fails when a heavy package comes back into that import set.
"""

from __future__ import annotations

import sys

import typer

from crawler.cli import (
    alerts,
    check,
    crawl,
    db,
    demo,
    digest,
    docs,
    new_source,
    publications,
    routes,
    run,
    sources,
    status,
    web,
    worker,
)
from crawler.cli.context import global_options
from crawler.cli.help_format import quiet_flag_types
from crawler.errors import ConfigError, DatabaseURLError, GovwatchError, StorageError
from crawler.logs import redact

quiet_flag_types()
app = typer.Typer(
    name="govwatch",
    help="Watch government publication sources and alert on new publications.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
app.callback()(global_options)
app.command("crawl")(crawl.crawl_command)
app.command("check")(check.check_command)
app.command("sources")(sources.sources_command)
app.command("new-source")(new_source.new_source_command)
app.command("demo")(demo.demo_command)
app.command("run")(run.run_command)
app.command("reload")(run.reload_command)
app.command("status")(status.status_command)
app.add_typer(db.app, name="db")
app.add_typer(alerts.app, name="alerts")
app.add_typer(routes.app, name="routes")
app.add_typer(docs.app, name="docs")
app.add_typer(publications.app, name="publications")
app.command("web")(web.web_command)
app.add_typer(digest.app, name="digest")
app.command("worker")(worker.worker_command)


def main() -> None:
    """Console-script entry point: known errors become one clear line and an exit code."""
    try:
        app()
    except ConfigError as exc:
        problems = str(exc)  # one problem: one line; several: one line each
        separator = "\n" if "\n" in problems else " "
        print(f"govwatch: configuration error:{separator}{problems}", file=sys.stderr)
        sys.exit(2)
    except DatabaseURLError as exc:  # e.g. GOVWATCH_DATABASE_URL=foo://x
        print(f"govwatch: database URL not usable: {exc}", file=sys.stderr)
        sys.exit(2)
    except StorageError as exc:
        print(f"govwatch: database error: {exc}", file=sys.stderr)
        sys.exit(1)
    except GovwatchError as exc:
        print(f"govwatch: {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        if not _report_sqlalchemy_error(exc):
            raise


def _report_sqlalchemy_error(exc: Exception) -> bool:
    """One line and an exit for an error SQLAlchemy raised; False for any other error.

    SQLAlchemy is not imported for it: a command that never loaded SQLAlchemy cannot have
    raised one of its errors, and ``--help`` must not pay for importing it.
    """
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None:
        return False
    if isinstance(exc, sqlalchemy_exc.ArgumentError | sqlalchemy_exc.NoSuchModuleError):
        # e.g. GOVWATCH_DATABASE_URL=foo://x: the URL is refused before any connection.
        reason = redact(str(exc).splitlines()[0])
        print(f"govwatch: database URL not usable: {reason}", file=sys.stderr)
        sys.exit(2)
    if isinstance(exc, sqlalchemy_exc.SQLAlchemyError):  # e.g. the server went away mid-command
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"govwatch: database error: {type(exc).__name__}: {reason}", file=sys.stderr)
        sys.exit(1)
    return False
