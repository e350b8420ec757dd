"""The weekly job of ``govwatch run``: when it is due, and that it builds and announces."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from crawler.app_config import AppConfig, DigestSettings
from crawler.digest.schedule import next_run, weekly_digest_loop
from storage.db import transaction
from storage.models import AlertOutbox, Digest
from tests.digest.conftest import store_fixtures


def test_the_next_run_is_the_configured_weekday_and_time_in_its_zone() -> None:
    settings = DigestSettings(schedule=True, day="mon", time="09:00", timezone="Europe/Berlin")
    # Wednesday 2 Dec 2026 → Monday 7 Dec, 09:00 Berlin = 08:00 UTC
    assert next_run(datetime(2026, 12, 2, 12, tzinfo=UTC), settings) == datetime(
        2026, 12, 7, 8, tzinfo=UTC
    )
    # exactly at the time: the next week, never the same minute twice
    at_time = datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert next_run(at_time, settings) == at_time + timedelta(days=7)
    # summer time: 09:00 Berlin is 07:00 UTC
    assert next_run(datetime(2026, 6, 30, tzinfo=UTC), settings) == datetime(
        2026, 7, 6, 7, tzinfo=UTC
    )


def test_the_loop_builds_and_announces_when_due(engine: Engine) -> None:
    store_fixtures(engine)
    # a clock that reaches Monday 30 Nov 2026 09:00 UTC a moment after the loop starts
    due = datetime(2026, 11, 30, 9, tzinfo=UTC)
    started = time.monotonic()

    def clock() -> datetime:
        return due - timedelta(seconds=0.5) + timedelta(seconds=time.monotonic() - started)

    config = AppConfig.model_validate(
        {"digest": {"schedule": True, "day": "mon", "time": "09:00", "editors_channel": "#editors",
                    "fetch_detail_pages": False}}
    )  # fmt: skip
    woken: list[bool] = []

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(
            weekly_digest_loop(
                engine, lambda: config, dict, stop, lambda: woken.append(True), clock
            )
        )
        while not woken:
            await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(asyncio.wait_for(run(), 60))
    with transaction(engine) as session:
        digests = list(session.scalars(select(Digest)))
        rows = list(
            session.scalars(select(AlertOutbox).where(AlertOutbox.kind == "digest_announcement"))
        )
    assert [digest.label for digest in digests] == ["2026-W48"]  # the week containing Sunday
    assert len(rows) == 1
    assert rows[0].destination == "console"
