"""Insert statements with the dialect's ``ON CONFLICT`` clause (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def dialect_insert(session: Session, table: Any) -> Any:
    """``INSERT`` for the session's backend, so ``on_conflict_do_*`` is available.

    Each dialect's module is imported here, where its engine has already loaded it: a
    SQLite process never imports PostgreSQL's dialect (and the reverse).
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)
