"""Engine, sessions and schema upgrades.

The default database is a SQLite file under ``./var/`` (no server needed); setting
``GOVWATCH_DATABASE_URL`` (e.g. ``postgresql+psycopg://user@host/db``) selects PostgreSQL.
SQLite runs in WAL mode with a busy timeout so the scheduler, a ``govwatch crawl`` and
``govwatch status`` can share one file. The schema only changes through Alembic.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crawler.errors import StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_SQLITE_PATH = Path("var") / "govwatch.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url() -> str:
    """``$GOVWATCH_DATABASE_URL``, else a SQLite file at ``./var/govwatch.sqlite3``."""
    return os.environ.get("GOVWATCH_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def redact_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url``; for SQLite the folder is created and WAL switched on."""
    url = url or database_url()
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory.begin() as session:
        yield session


def alembic_config(engine: Engine) -> Config:
    """Alembic configuration pointing at the bundled migrations and this engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (``govwatch db upgrade``)."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise StorageError(
            f"cannot reach the database {redact_url(str(engine.url))}: {exc.orig}"
        ) from exc


def is_current(engine: Engine) -> bool:
    """True when the database schema is at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision() == head
    except OperationalError as exc:
        raise StorageError(
            f"cannot reach the database {redact_url(str(engine.url))}: {exc.orig}"
        ) from exc


def ready_engine(url: str | None = None) -> Engine:
    """An engine whose schema is current.

    The embedded SQLite default upgrades itself, so a newcomer never runs a migration by
    hand; a server database is upgraded only on request (``govwatch db upgrade``), because
    ops usually want to choose when a production schema changes.
    """
    engine = make_engine(url)
    if is_current(engine):
        return engine
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return engine
    raise StorageError(
        f"the database {redact_url(str(engine.url))} is not at the current schema; "
        "run `govwatch db upgrade` first"
    )
