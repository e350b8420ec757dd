"""Where govwatch keeps what it has seen: publications, crawl runs, validators, the outbox.

SQLAlchemy 2.x typed models (:mod:`storage.models`), engine and transactions
(:mod:`storage.db`), the queries the pipeline and CLI need (:mod:`storage.queries`), and
Alembic migrations (``storage/migrations``), the only way the schema changes.
"""
