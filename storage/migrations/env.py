"""Alembic environment: runs migrations on the engine govwatch hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from storage.db import make_engine
from storage.models import Base
from storage.search_schema import include_object

engine: Engine = context.config.attributes.get("engine") or make_engine()

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations rebuild a table (copy, drop, rename): with foreign keys enforced,
        # dropping a table other rows point at fails. SQLite ignores this pragma inside a
        # transaction, so it is set before the migration's transaction begins.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
