"""Where govwatch keeps what it has seen: publications, crawl runs, validators, the outbox.

SQLAlchemy 2.x typed models (:mod:`storage.models`), engine and transactions
(:mod:`storage.db`), one module of queries per table group (:mod:`storage.publications`,
:mod:`storage.runs`, :mod:`storage.sources`, :mod:`storage.outbox`, :mod:`storage.leases`),
its own errors (:mod:`storage.errors`), and Alembic migrations (``storage/migrations``), the
only way the schema changes. It imports nothing from ``crawler/``, ``spiders/`` or Scrapy.
"""
