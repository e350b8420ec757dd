"""The weekly job of ``govwatch run``: when it is due, and that it builds and announces."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from crawler.app_config import AppConfig, DigestSettings
from crawler.digest.build import build_digest
from crawler.digest.period import week
from crawler.digest.schedule import (
    make_up_missed_runs,
    missed_period,
    missed_periods,
    next_run,
    weekly_digest_loop,
)
from crawler.sources import SourceConfig
from storage import digests as store
from storage.db import transaction
from storage.models import AlertOutbox, Digest
from tests.digest.conftest import at, store_fixtures


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
    # W47, the period of the run a week earlier, was built (by hand): nothing to make up
    assert build_digest(engine, week("2026-W47"), now=at(23, 10)).digest_id is not None
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
    # the week containing Sunday; W47 stays as it was (not rebuilt, not announced)
    assert [digest.label for digest in digests] == ["2026-W47", "2026-W48"]
    assert len(rows) == 1
    assert rows[0].destination == "console"


SCHEDULED = AppConfig.model_validate(
    {"digest": {"schedule": True, "day": "mon", "time": "09:00", "editors_channel": "#editors",
                "fetch_detail_pages": False}}
)  # fmt: skip


def test_the_missed_period_is_the_one_the_last_scheduled_run_builds() -> None:
    settings = SCHEDULED.digest
    # Wednesday 2 Dec: the Monday 30 Nov 09:00 run built W48 (23–29 Nov)
    assert missed_period(datetime(2026, 12, 2, 12, tzinfo=UTC), settings).label == "2026-W48"
    # at 09:00 sharp the run is due now: its period; a minute before, the run a week earlier
    assert missed_period(datetime(2026, 11, 30, 9, tzinfo=UTC), settings).label == "2026-W48"
    assert missed_period(datetime(2026, 11, 30, 8, 59, tzinfo=UTC), settings).label == "2026-W47"
    berlin = DigestSettings(schedule=True, day="mon", time="00:30", timezone="Europe/Berlin")
    # Sunday 29 Nov 23:45 UTC is Monday 00:45 in Berlin: the run of that Monday, W48
    assert missed_period(datetime(2026, 11, 29, 23, 45, tzinfo=UTC), berlin).label == "2026-W48"


def run_loop_until(
    engine: Engine, clock: Callable[[], datetime], done: Callable[[list[bool]], bool]
) -> list[bool]:
    """Start the weekly loop (as ``govwatch run`` does) and stop it once ``done(woken)``."""
    woken: list[bool] = []

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(
            weekly_digest_loop(
                engine, lambda: SCHEDULED, dict, stop, lambda: woken.append(True), clock
            )
        )
        while not done(woken) and not task.done():
            await asyncio.sleep(0.02)
        stop.set()
        await task

    asyncio.run(asyncio.wait_for(run(), 60))
    return woken


def announcements(engine: Engine) -> list[AlertOutbox]:
    with transaction(engine) as session:
        query = select(AlertOutbox).where(AlertOutbox.kind == "digest_announcement")
        return list(session.scalars(query))


def test_a_run_missed_while_down_is_made_up_once_at_start(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store_fixtures(engine)
    # down on Monday 30 Nov at 09:00; started on Wednesday 2 Dec (a fixed clock: no waiting
    # for any time to come, the next run is five days away)
    wednesday = datetime(2026, 12, 2, 12, tzinfo=UTC)
    woken = run_loop_until(engine, lambda: wednesday, lambda woken: bool(woken))
    assert woken == [True]
    with transaction(engine) as session:
        digests = list(session.scalars(select(Digest)))
        assert [d.label for d in digests] == ["2026-W48"]
        assert digests[0].announced_at is not None
        assert digests[0].snapshot_at.replace(tzinfo=UTC) == wednesday
    assert [row.payload["digest_id"] for row in announcements(engine)] == [digests[0].id]

    # started again (the same day): the digest exists, nothing is built or announced twice
    caplog.set_level(logging.INFO, logger="crawler.digest.schedule")
    caplog.clear()
    again = run_loop_until(engine, lambda: wednesday, lambda _: "Next weekly digest" in caplog.text)
    assert again == []
    assert "was missed" not in caplog.text
    assert len(announcements(engine)) == 1
    assert make_up_missed_runs(engine, SCHEDULED, {}, wednesday) == []


def test_every_week_missed_since_the_last_digest_is_made_up_oldest_first(engine: Engine) -> None:
    store_fixtures(engine)
    # W46 was the last digest; the service then stayed down until Wednesday 2 Dec: the runs
    # of 23 Nov (W47) and 30 Nov (W48) were both missed, and both are made up, oldest first
    with transaction(engine) as session:
        w46 = week("2026-W46")
        store.add_digest(session, w46.label, w46.start, w46.end, at(16, 9))
    config = SCHEDULED.model_copy(
        update={"digest": SCHEDULED.digest.model_copy(update={"editors_channel": "#editors"})}
    )
    results = make_up_missed_runs(engine, config, {}, datetime(2026, 12, 2, tzinfo=UTC))
    assert [(r.label, r.created) for r in results] == [("2026-W47", True), ("2026-W48", True)]
    with transaction(engine) as session:
        labels = {d.id: d.label for d in session.scalars(select(Digest))}
    assert sorted(labels[row.payload["digest_id"]] for row in announcements(engine)) == [
        "2026-W47", "2026-W48",
    ]  # fmt: skip
    # started again: nothing more to make up, nothing announced twice
    assert make_up_missed_runs(engine, config, {}, datetime(2026, 12, 2, 13, tzinfo=UTC)) == []
    assert len(announcements(engine)) == 2


def test_the_make_up_goes_back_at_most_eight_weeks_and_only_one_without_a_digest() -> None:
    settings = SCHEDULED.digest
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert [p.label for p in missed_periods(now, settings, None)] == ["2026-W48"]
    long_ago = missed_periods(now, settings, week("2026-W20").end)
    assert [p.label for p in long_ago] == [f"2026-W{n}" for n in range(41, 49)]
    assert missed_periods(now, settings, week("2026-W48").end) == []


def test_a_period_built_by_hand_or_empty_is_not_made_up(engine: Engine) -> None:
    store_fixtures(engine)
    # W48 built by hand and not announced (no editors channel then): left alone
    assert build_digest(engine, week("2026-W48"), now=at(30, 8)).digest_id is not None
    assert make_up_missed_runs(engine, SCHEDULED, {}, datetime(2026, 12, 2, tzinfo=UTC)) == []
    assert announcements(engine) == []
    # the weeks since: W49 (a crawl first saw an item then) gets its digest and its one
    # announcement; the weeks with nothing first seen in them get neither
    later = make_up_missed_runs(engine, SCHEDULED, {}, datetime(2027, 1, 6, tzinfo=UTC))
    assert [(result.label, result.digest_id is not None) for result in later] == [
        ("2026-W49", True), ("2026-W50", False), ("2026-W51", False), ("2026-W52", False),
        ("2026-W53", False),
    ]  # fmt: skip
    assert len(announcements(engine)) == 1


def test_a_run_falling_due_during_the_make_up_build_is_not_skipped(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store_fixtures(engine)
    caplog.set_level(logging.INFO, logger="crawler.digest.schedule")
    # started on Monday 30 Nov at 08:59 with W47 (the run of 23 Nov) never built; the
    # make-up build takes two minutes (the clock moves when the build asks for the sources),
    # so Monday 09:00 passes while it runs: W48 must still be built, right after it
    now = [datetime(2026, 11, 30, 8, 59, tzinfo=UTC)]
    asked: list[bool] = []

    def sources() -> dict[str, SourceConfig]:
        if not asked:
            asked.append(True)
            now[0] += timedelta(minutes=2)
        return {}

    woken: list[bool] = []

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(
            weekly_digest_loop(
                engine, lambda: SCHEDULED, sources, stop, lambda: woken.append(True),
                lambda: now[0],
            )
        )  # fmt: skip
        while len(woken) < 2 and "Next weekly digest: 2026-12-07" not in caplog.text:
            await asyncio.sleep(0.02)
        stop.set()
        await task

    asyncio.run(asyncio.wait_for(run(), 60))
    with transaction(engine) as session:
        labels = [d.label for d in session.scalars(select(Digest).order_by(Digest.id))]
    assert labels == ["2026-W47", "2026-W48"]
    assert len(announcements(engine)) == 2
