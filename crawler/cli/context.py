"""Options every command shares, and the objects they select (config, database).

Every command imports this module, ``--help`` included, so it imports nothing heavy at
the top: the configuration loader (YAML, pydantic) and the database layer (SQLAlchemy,
Alembic) are imported by the functions that use them.
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from crawler.errors import DatabaseURLError
from crawler.logs import configure_logging

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crawler.sources import SourceConfig

# Piped output is read by people in files and pagers, not cut to 80 columns.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
stderr = Console(stderr=True, soft_wrap=True)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def version_callback(show: bool) -> None:
    if show:
        print(f"govwatch {package_version()}")
        raise typer.Exit()


def package_version() -> str:
    from importlib import metadata  # only for --version: it costs every other command time

    try:
        return metadata.version("govwatch")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def global_options(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Sources file (default: config/sources.yaml)."),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(help="Database URL (default: $GOVWATCH_DATABASE_URL or SQLite in ./var)."),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            help="Log level on stderr: DEBUG, INFO, WARNING (default), ERROR or CRITICAL.",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, show_default=False, help="More log lines (-vv: debug)."
        ),
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Watch government publication sources and alert on new publications."""
    if config is not None:
        os.environ["GOVWATCH_SOURCES"] = str(config)
    if database is not None:
        check_database_url(database)
        os.environ["GOVWATCH_DATABASE_URL"] = database
    level = chosen_log_level(log_level, verbose, quiet)
    # `govwatch run` lets the config file's log_level apply unless one was chosen here.
    ctx.obj = {"log_level": level if log_level or verbose or quiet else None}
    configure_logging(level)


def chosen_log_level(log_level: str | None, verbose: int, quiet: bool) -> str:
    """``--log-level`` wins; else ``-q`` (ERROR), ``-v`` (INFO), ``-vv`` (DEBUG); else WARNING."""
    if log_level is not None:
        level = log_level.strip().upper()
        if level not in LOG_LEVELS:
            raise typer.BadParameter(
                f"{log_level!r} is not a log level; use one of {', '.join(LOG_LEVELS)}",
                param_hint="--log-level",
            )
        return level
    if quiet:
        return "ERROR"
    return {0: "WARNING", 1: "INFO"}.get(verbose, "DEBUG")


def check_database_url(url: str) -> None:
    """A ``--database`` govwatch cannot use is one line and exit 2, before any command runs."""
    from storage.db import check_database_url as storage_check_database_url

    try:
        storage_check_database_url(url)
    except DatabaseURLError as exc:
        print(f"govwatch: --database: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None


def configured_sources() -> dict[str, SourceConfig]:
    from crawler.config_loader import default_sources_path, load_sources

    return load_sources(default_sources_path())


def config_paths() -> tuple[Path, Path]:
    """(sources.yaml, govwatch.yaml) as this process names them (``run``, ``worker``)."""
    from crawler.app_config import default_app_config_path
    from crawler.config_loader import default_sources_path

    return default_sources_path(), default_app_config_path()


def pick_sources(ids: list[str], all_sources: bool) -> list[SourceConfig]:
    """The sources named on the command line, or every enabled one with ``--all``."""
    known = configured_sources()
    if all_sources:
        return [source for source in known.values() if source.enabled]
    if not ids:
        raise typer.BadParameter("name at least one SOURCE, or use --all")
    unknown = [source_id for source_id in ids if source_id not in known]
    if unknown:
        stderr.print(
            f"govwatch: unknown source id(s): {', '.join(unknown)}"
            f"{did_you_mean(unknown, list(known))}; `govwatch sources` lists them",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(2)
    return [known[source_id] for source_id in ids]


def did_you_mean(unknown: list[str], known: list[str]) -> str:
    """``; did you mean jp_mext_news?`` for near misses (typos, a missing suffix)."""
    guesses: list[str] = []
    for source_id in unknown:
        close = difflib.get_close_matches(source_id, known, n=1, cutoff=0.6)
        if not close:
            close = [known_id for known_id in known if known_id.startswith(source_id)][:1]
        guesses.extend(guess for guess in close if guess not in guesses)
    return f"; did you mean {', '.join(guesses)}?" if guesses else ""


def engine() -> Engine:
    """The configured database, created (SQLite) or upgraded as needed."""
    from storage.db import database_url, ready_engine

    return ready_engine(database_url())


def existing_engine() -> Engine:
    """The configured database for read-only commands: a SQLite file that does not exist
    is an error, never a new empty database."""
    from storage.db import database_url, ready_engine

    return ready_engine(database_url(), create=False)
