"""Options every command shares, and the objects they select (config, database)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from crawler.config_loader import default_sources_path, load_sources
from crawler.errors import ConfigError
from crawler.logs import configure_logging
from crawler.sources import SourceConfig
from storage.db import database_url, ready_engine

# Piped output is read by people in files and pagers, not cut to 80 columns.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
stderr = Console(stderr=True, soft_wrap=True)


def global_options(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Sources file (default: config/sources.yaml)."),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(help="Database URL (default: $GOVWATCH_DATABASE_URL or SQLite in ./var)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="Log level on stderr.")] = "WARNING",
) -> None:
    """Watch government publication sources and alert on new publications."""
    if config is not None:
        os.environ["GOVWATCH_SOURCES"] = str(config)
    if database is not None:
        os.environ["GOVWATCH_DATABASE_URL"] = database
    configure_logging(log_level)


def configured_sources() -> dict[str, SourceConfig]:
    return load_sources(default_sources_path())


def pick_sources(ids: list[str], all_sources: bool) -> list[SourceConfig]:
    """The sources named on the command line, or every enabled one with ``--all``."""
    known = configured_sources()
    if all_sources:
        return [source for source in known.values() if source.enabled]
    if not ids:
        raise typer.BadParameter("name at least one SOURCE, or use --all")
    unknown = [source_id for source_id in ids if source_id not in known]
    if unknown:
        raise ConfigError(
            f"unknown source id(s): {', '.join(unknown)}; `govwatch sources` lists them"
        )
    return [known[source_id] for source_id in ids]


def engine() -> Engine:
    """The configured database, created (SQLite) or upgraded as needed."""
    return ready_engine(database_url())


def existing_engine() -> Engine:
    """The configured database for read-only commands: a SQLite file that does not exist
    is an error, never a new empty database."""
    return ready_engine(database_url(), create=False)
