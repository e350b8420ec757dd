"""Shared fixtures: a real page server, real databases (SQLite files, and PostgreSQL where
one answers), and a helper that runs crawls through the real runner on the reactor."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from storage.db import make_engine, upgrade
from tests.servers.pages import PageServer

POSTGRES_URL = os.environ.get(
    "GOVWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def pages() -> Iterator[PageServer]:
    with PageServer() as server:
        yield server


def _postgres_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL} ({type(exc).__name__})"
    return None


_PG_REASON = _postgres_reason()
# GOVWATCH_TEST_BACKEND=postgresql (.ci/run sets it): PostgreSQL is part of the suite, so an
# unreachable server fails the run instead of skipping the PostgreSQL half of every storage,
# trust and cluster test.
POSTGRES_REQUIRED = os.environ.get("GOVWATCH_TEST_BACKEND", "").lower() == "postgresql"


def pytest_sessionstart(session: pytest.Session) -> None:
    if POSTGRES_REQUIRED and _PG_REASON:
        raise pytest.UsageError(f"GOVWATCH_TEST_BACKEND=postgresql but {_PG_REASON}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'govwatch.sqlite3'}"
        return
    if _PG_REASON:
        pytest.skip(_PG_REASON)
    schema = f"gw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An upgraded database on each backend (the test runs once per backend)."""
    database = make_engine(database_url)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Any) -> Iterator[Engine]:
    """An upgraded SQLite database, for tests about crawling rather than storage."""
    database = make_engine(f"sqlite:///{tmp_path / 'govwatch.sqlite3'}")
    upgrade(database)
    yield database
    database.dispose()
