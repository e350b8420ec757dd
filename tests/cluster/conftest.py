"""The distributed mode's tests: real PostgreSQL (a private schema per test, dropped after),
real ``govwatch`` subprocesses for the scheduler and the workers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from storage.db import make_engine, upgrade
from tests.cluster.processes import Cluster
from tests.conftest import _PG_REASON, POSTGRES_URL

CLUSTER_TIMEOUT = 600
"""Seconds before pytest-timeout stops a cluster test: each starts several ``govwatch``
processes (a scheduler, workers, dispatchers), whose start-up alone takes seconds each on a
loaded two-core machine. A guard against hangs, not a speed limit."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every test of this directory the cluster's hang guard unless it sets its own."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(CLUSTER_TIMEOUT))


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """An upgraded govwatch database in a fresh PostgreSQL schema."""
    if _PG_REASON:
        pytest.skip(f"the distributed mode needs PostgreSQL: {_PG_REASON}")
    schema = f"gw_cluster_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = make_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        upgrade(database)
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def cluster(tmp_path: Path, pg_engine: Engine) -> Iterator[Cluster]:
    group = Cluster(tmp_path, pg_engine.url.render_as_string(hide_password=False))
    yield group
    group.kill_all()
