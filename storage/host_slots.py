"""Cluster-wide host slots: PostgreSQL session advisory locks keyed by (schema, host, slot).

``crawler/middlewares/host_politeness.py`` takes one of a host's ``concurrency`` slots before
each request of a distributed worker and gives it back after the delay; this module holds the
SQL. The locks live with one autocommit connection per process (:func:`open_slot_connection`),
so a killed worker frees its slots when its session ends. The namespace (the first key of
each lock) is derived from the schema, so deployments and tests in different schemas of one
server do not share slots. PostgreSQL only: the middleware is not enabled on SQLite.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, text


def open_slot_connection(engine: Engine) -> tuple[Connection, int]:
    """A new autocommit connection to hold this process's slot locks, and the lock namespace
    of the connection's schema."""
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    except BaseException:
        connection.close()
        raise
    digest = hashlib.sha256(f"govwatch.hosts.{schema}".encode()).digest()
    return connection, int.from_bytes(digest[:4], "big", signed=True)


def take_free_slot(
    connection: Connection, namespace: int, host: str, concurrency: int, held: Sequence[int]
) -> int | None:
    """Lock the first free slot of ``host`` (0 … concurrency - 1, skipping ``held``, the slots
    this connection already holds: session locks are re-entrant) and return it; None when all
    are busy. One round trip: the scan stops at the first lock taken."""
    slot = connection.execute(
        text(
            "SELECT s FROM generate_series(0, :n - 1) AS s "
            "WHERE NOT (s = ANY(:mine)) "
            "AND pg_try_advisory_lock(:ns, hashtext(:host || '#' || s)) LIMIT 1"
        ),
        {"n": concurrency, "mine": list(held), "ns": namespace, "host": host},
    ).scalar()
    return None if slot is None else int(slot)


def release_slot(connection: Connection, namespace: int, host: str, slot: int) -> None:
    """Unlock one slot of ``host`` taken through this connection."""
    connection.execute(
        text("SELECT pg_advisory_unlock(:ns, hashtext(:host || '#' || :slot))"),
        {"ns": namespace, "host": host, "slot": slot},
    )
