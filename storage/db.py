"""Engine, sessions and schema upgrades.

The default database is a SQLite file under ``./var/`` (no server needed); setting
``GOVWATCH_DATABASE_URL`` (e.g. ``postgresql+psycopg://user@host/db``) selects PostgreSQL.
SQLite runs in WAL mode with a busy timeout so the scheduler, a ``govwatch crawl`` and
``govwatch status`` can share one file. The schema only changes through Alembic, but
Alembic is imported only to upgrade: checking that a schema is current (every command that
opens the database, and the daemon at start) reads the ``alembic_version`` table and the
migration scripts' ``revision`` lines with SQLAlchemy alone, because importing Alembic and
loading its scripts cost ``govwatch status`` a sixth of its start-up and the daemon ~12 MB
(docs/performance.md, "Second round").

Every way a database cannot be opened (a URL SQLAlchemy cannot read, an unknown scheme, a
SQLite file whose folder cannot be made, a server that does not answer) becomes a
:class:`StorageError` with one line naming the database, never a traceback. ``postgres://``
(the spelling Heroku and many tools use) is read as ``postgresql://``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import DatabaseURLError, StorageError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The table Alembic records the schema's revision in (its default name).
VERSION_TABLE = "alembic_version"
# ``revision = "0008"`` / ``down_revision: str | None = None`` in a migration script.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.*?)\s*$", re.MULTILINE)
_QUOTED_ID = re.compile(r"""^(['"])([\w.-]+)\1$""")
DEFAULT_SQLITE_PATH = Path("var") / "govwatch.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Seconds to wait for a PostgreSQL server to accept a connection: an unreachable server is
# reported (and the daemon rides it out) instead of hanging on the operating system's timeout.
CONNECT_TIMEOUT_S = 10
URL_EXAMPLES = "sqlite:///path/to/govwatch.sqlite3 or postgresql+psycopg://user@host/db"


def database_url() -> str:
    """``$GOVWATCH_DATABASE_URL``, else a SQLite file at ``./var/govwatch.sqlite3``."""
    return os.environ.get("GOVWATCH_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def redact_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs (unreadable URLs: the scheme)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("://", 1)[0] + "://…" if "://" in url else "(unreadable URL)"


def parse_database_url(url: str) -> URL:
    """The URL as SQLAlchemy reads it; ``postgres://`` and a bare ``postgresql://`` use
    psycopg 3, the driver govwatch installs (SQLAlchemy's default would be psycopg2).

    Raises :class:`StorageError` (one line) for text that is no database URL.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseURLError(
            f"cannot read the database URL {redact_url(url)!r}; use {URL_EXAMPLES}"
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    database = url.database or ""
    return None if database in ("", ":memory:") else Path(database)


def check_database_url(url: str | URL) -> str:
    """The backend a URL names (``sqlite`` or ``postgresql``); :class:`DatabaseURLError`
    (one line) for a URL govwatch cannot use. Nothing is connected."""
    parsed = parse_database_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise DatabaseURLError(
            f"govwatch does not support {backend!r} databases "
            f"({redact_url(str(parsed))}); use {URL_EXAMPLES}"
        )
    return backend


def make_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """An engine for ``url``; for SQLite the folder is created and WAL switched on.

    With ``create=False`` a SQLite file that does not exist is an error instead of a new,
    empty database (``govwatch status`` must not create one from a mistyped path).
    """
    parsed = parse_database_url(url or database_url())
    if check_database_url(parsed) == "sqlite":
        return _sqlite_engine(parsed, create=create)
    try:
        return create_engine(
            parsed, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
    except (ArgumentError, ImportError) as exc:  # e.g. the driver is not installed
        raise StorageError(
            f"cannot use the database {redact_url(str(parsed))}: {exc}; use {URL_EXAMPLES}"
        ) from None


def _sqlite_engine(url: URL, *, create: bool) -> Engine:
    path = sqlite_path(url)
    if path is not None and not create and not path.is_file():
        raise StorageError(
            f"the database {path} does not exist (check --database / GOVWATCH_DATABASE_URL; "
            "`govwatch crawl` or `govwatch db upgrade` create it)"
        )
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the folder of the database {path}: {exc.strerror or exc}"
            ) from None
    try:
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    except ArgumentError as exc:
        raise StorageError(f"cannot use the database {redact_url(str(url))}: {exc}") from None

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def unreachable(engine: Engine, exc: OperationalError) -> StorageError:
    """The one-line error for a database that does not answer (password hidden)."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    verb = "open" if engine.dialect.name == "sqlite" else "reach"
    return StorageError(f"cannot {verb} the database {redact_url(str(engine.url))}: {reason}")


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory.begin() as session:
        yield session


def alembic_config(engine: Engine) -> Config:
    """Alembic configuration pointing at the bundled migrations and this engine."""
    from alembic.config import Config  # Alembic only for upgrades (see the module docstring)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (``govwatch db upgrade``)."""
    from alembic import command

    try:
        command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise unreachable(engine, exc) from exc


def head_revision(scripts: Path = MIGRATIONS_DIR) -> str:
    """The newest migration's revision id, read from the ``revision`` and ``down_revision``
    lines of the scripts in ``scripts/versions`` without importing Alembic.

    When the scripts are not one chain of plain ids (a merge, a branch, a computed value),
    Alembic's own reading answers instead, so the answer is always Alembic's
    (``tests/storage/test_schema_check.py`` compares the two).
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((scripts / "versions").glob("*.py")):
        if path.name.startswith(("__", ".#")):
            continue
        fields: dict[str, list[str]] = {}
        for match in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")):
            fields.setdefault(match.group(1), []).append(match.group(2))
        revision = _QUOTED_ID.match(" ".join(fields.get("revision", [])))
        down = " ".join(fields.get("down_revision", []))
        parent = _QUOTED_ID.match(down)
        if (
            revision is None
            or revision.group(2) in revisions
            or (parent is None and down != "None")
        ):
            return _alembic_head_revision(scripts)
        revisions.add(revision.group(2))
        if parent is not None:
            parents.add(parent.group(2))
    heads = revisions - parents
    if len(heads) == 1 and parents <= revisions:
        return heads.pop()
    return _alembic_head_revision(scripts)


def _alembic_head_revision(scripts: Path) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(scripts)).get_current_head()
    if head is None:
        raise StorageError(f"no migration scripts in {scripts}")
    return head


def is_current(engine: Engine) -> bool:
    """True when the database schema is at the newest migration.

    Alembic's own check (``MigrationContext.get_current_revision``) reads the same table.
    """
    head = head_revision()
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return False
            stamped = connection.execute(text("SELECT version_num FROM alembic_version"))
            return list(stamped.scalars()) == [head]
    except OperationalError as exc:
        raise unreachable(engine, exc) from exc


def ready_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """An engine whose schema is current.

    The embedded SQLite default upgrades itself, so a newcomer never runs a migration by
    hand; a server database is upgraded only on request (``govwatch db upgrade``), because
    ops usually want to choose when a production schema changes.
    """
    engine = make_engine(url, create=create)
    if is_current(engine):
        return engine
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return engine
    raise StorageError(
        f"the database {redact_url(str(engine.url))} is not at the current schema; "
        "run `govwatch db upgrade` first"
    )


def ping(connection: Connection) -> None:
    """Raise :class:`~sqlalchemy.exc.SQLAlchemyError` unless the database answers."""
    connection.execute(text("SELECT 1"))
