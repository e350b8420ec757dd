"""When runs happen: first run after a restart, backoff, cron triggers, and batching of
sources that are due together into one crawl."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from crawler.service.due_batches import DueBatches
from crawler.service.scheduler import due_after, first_run_time, trigger_for
from crawler.sources import SourceConfig
from tests.crawling import make_source

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SPREAD = timedelta(minutes=2)


def source_of(**fields: object) -> SourceConfig:
    return make_source(urls=["https://www.example.gov/feed.xml"], **fields)


def test_a_source_not_yet_due_keeps_its_due_time() -> None:
    source = source_of(schedule={"every": "1h"})
    first = first_run_time(source, NOW - timedelta(minutes=20), 1, NOW, SPREAD, random.Random(1))
    assert first == NOW + timedelta(minutes=40)


@pytest.mark.parametrize("last_run", [None, NOW - timedelta(hours=5)])
def test_overdue_and_new_sources_start_soon_spread_out(last_run: datetime | None) -> None:
    source = source_of(schedule={"every": "1h"})
    rng = random.Random(7)
    starts = [first_run_time(source, last_run, 1, NOW, SPREAD, rng) for _ in range(200)]
    assert all(NOW <= start <= NOW + SPREAD for start in starts)
    assert len({start for start in starts}) > 100, "a restart must not start everything at once"


def test_the_spread_never_exceeds_a_short_interval() -> None:
    source = source_of(schedule={"every": "10s"})
    start = first_run_time(source, None, 1, NOW, SPREAD, random.Random(3))
    assert start <= NOW + timedelta(seconds=10)


def test_a_failing_source_is_due_later_by_its_backoff_factor() -> None:
    source = source_of(schedule={"every": "15m", "jitter": "1m"})
    due = due_after(source, NOW, 4, random.Random(5))
    assert NOW + timedelta(hours=1) <= due <= NOW + timedelta(hours=1, minutes=1)
    resumed = first_run_time(source, NOW - timedelta(minutes=30), 4, NOW, SPREAD, random.Random(5))
    assert resumed >= NOW + timedelta(minutes=30), "backoff survives a restart"


def test_cron_runs_in_the_source_time_zone_with_crontab_weekdays() -> None:
    source = source_of(schedule={"cron": "30 9 * * 1"}, timezone="Asia/Tokyo")  # Monday 09:30
    fire = trigger_for(source).get_next_fire_time(None, NOW)
    assert fire is not None
    assert (fire.weekday(), fire.hour, fire.minute, str(fire.tzinfo)) == (0, 9, 30, "Asia/Tokyo")
    later = due_after(source, fire, 2, random.Random(1))
    assert later.astimezone(fire.tzinfo) == fire + timedelta(weeks=2)


def test_sources_due_together_share_one_crawl_and_never_overlap() -> None:
    calls: list[list[str]] = []
    running: set[str] = set()

    async def crawl(source_ids: list[str]) -> None:
        assert not running & set(source_ids), "a source was crawled twice at once"
        running.update(source_ids)
        calls.append(sorted(source_ids))
        await asyncio.sleep(0.01)
        running.difference_update(source_ids)

    async def scenario() -> None:
        batcher = DueBatches(crawl, window=0.05, limit=3)
        await asyncio.gather(*(batcher.run(f"xx_s{n}") for n in range(5)))
        await batcher.run("xx_s0")

    asyncio.run(scenario())
    assert calls == [["xx_s0", "xx_s1", "xx_s2"], ["xx_s3", "xx_s4"], ["xx_s0"]]


def test_a_failed_batch_fails_each_of_its_jobs() -> None:
    async def crawl(source_ids: list[str]) -> None:
        raise RuntimeError("database gone")

    async def scenario() -> None:
        batcher = DueBatches(crawl, window=0, limit=8)
        results = await asyncio.gather(
            batcher.run("xx_a"), batcher.run("xx_b"), return_exceptions=True
        )
        assert [str(result) for result in results] == ["database gone", "database gone"]

    asyncio.run(scenario())
