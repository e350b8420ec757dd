"""On a PostgreSQL server with autovacuum off, the scheduler vacuums the crawl queue itself:
every crawl's job is inserted and deleted, and a queue never vacuumed nor analysed makes
every worker's job fetch walk all the dead rows (docs/scaling.md)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import Engine, text

from crawler.app_config import AppConfig
from crawler.service import cluster_schedule
from crawler.service.cluster_schedule import EnqueuingScheduler
from crawler.service.queue import make_app
from storage.cluster import QUEUE_TABLES, ensure_queue_schema, tend_queue
from tests.scheduler.daemon import wait_until
from tests.scheduler.test_due_ticks import source_of


def tended_at(engine: Engine) -> dict[str, tuple[datetime | None, datetime | None]]:
    """(last manual vacuum, last manual analyze) of each queue table in this schema."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema() AND relname LIKE 'procrastinate%'"
            )
        ).all()
    return {str(name): (vacuumed, analysed) for name, vacuumed, analysed in rows}


def all_tended(engine: Engine) -> bool:
    seen = tended_at(engine)
    return all(seen.get(table, (None, None)) != (None, None) and None not in seen[table]
               for table in QUEUE_TABLES)  # fmt: skip


def test_tending_the_queue_vacuums_and_analyses_its_busy_tables(pg_engine: Engine) -> None:
    ensure_queue_schema(pg_engine)
    assert not all_tended(pg_engine)  # a new queue was never vacuumed by hand
    tend_queue(pg_engine)
    wait_until(lambda: all_tended(pg_engine), "the queue tables' vacuum and analyse recorded")


def test_a_scheduler_that_tends_the_queue_vacuums_it_after_a_burst(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_queue_schema(pg_engine)
    monkeypatch.setattr(cluster_schedule, "TEND_AFTER", 3)
    ids = [f"xx_burst_{n}" for n in range(3)]

    async def queue_burst(tends: bool) -> None:
        app = make_app(pg_engine)
        async with app.open_async():
            scheduler = EnqueuingScheduler(pg_engine, AppConfig(), app)
            scheduler.sources = {sid: source_of(sid, every="1h") for sid in ids}
            scheduler.tends_queue = tends
            await scheduler._crawl(ids)

    asyncio.run(queue_burst(tends=False))
    assert not all_tended(pg_engine)  # a server with autovacuum on: left to it
    with pg_engine.connect() as connection:
        queued = connection.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar()
    assert queued == 3
    asyncio.run(queue_burst(tends=True))  # the same three are still queued: nothing new
    assert not all_tended(pg_engine)
    with pg_engine.connect() as connection:
        connection.execute(text("DELETE FROM procrastinate_jobs"))  # as workers finish them
        connection.commit()
    asyncio.run(queue_burst(tends=True))
    wait_until(lambda: all_tended(pg_engine), "the burst's vacuum recorded")
