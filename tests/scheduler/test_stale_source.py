"""Stale detection through the real database path: cadence learnt from stored dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from crawler.app_config import AppConfig
from crawler.health import record_health
from crawler.items import PublicationItem as Item
from crawler.pipelines.store import store_publication_item
from storage.db import transaction
from storage.models import AlertOutbox, CrawlRun, Source
from storage.runs import RunRecord, finish_run, start_run
from storage.sources import sync_sources

NOW = datetime.now(UTC)


def _seed(engine: Engine, *, quiet_days: int) -> None:
    """A source that published daily for 10 days, then nothing for ``quiet_days``."""
    with transaction(engine) as session:
        sync_sources(session, [("us_daily", "Daily source")])
        for day in range(10):
            published = (NOW - timedelta(days=quiet_days + day)).date()
            store_publication_item(
                session,
                Item(
                    source_id="us_daily",
                    url=f"https://www.example.gov/{day}",
                    title=f"Item {day}",
                    published=published,
                ),
                run_id=None,
                destinations=[],
            )
        source = session.get_one(Source, "us_daily")
        source.state = "ok"
        source.last_new_item_at = NOW - timedelta(days=quiet_days)


def _ok_run(engine: Engine) -> str:
    with transaction(engine) as session:
        run_id = start_run(session, "us_daily", is_baseline=False)
        run = finish_run(session, run_id, RunRecord("not_modified", {"304": 1}, 0, 0, 0, None))
        record_health(session, run, AppConfig())
    with transaction(engine) as session:
        return session.get_one(Source, "us_daily").state


def test_a_daily_source_quiet_for_ten_days_becomes_stale_once(engine: Engine) -> None:
    _seed(engine, quiet_days=10)
    assert _ok_run(engine) == "stale"
    assert _ok_run(engine) == "stale"
    with transaction(engine) as session:
        alerts = session.scalars(select(AlertOutbox).where(AlertOutbox.kind == "ops")).all()
        assert len(alerts) == 1
        assert alerts[0].payload["state"] == "stale"
        assert session.scalars(select(CrawlRun)).all()[-1].outcome == "not_modified"


def test_a_daily_source_quiet_for_one_day_is_fine(engine: Engine) -> None:
    _seed(engine, quiet_days=1)
    assert _ok_run(engine) == "ok"
