"""Due times on the ``batch_window`` grid: sources falling due within one window fire in the
same scheduler tick and share one crawl, without their intervals or jitter changing."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update

from crawler.app_config import AppConfig
from crawler.service.due_batches import DueBatches
from crawler.service.scheduler import (
    AlignedTrigger,
    ReloadReport,
    SourceScheduler,
    aligned,
    keeps_grid,
    trigger_for,
)
from crawler.sources import SourceConfig
from storage.db import transaction
from storage.models import CrawlRun, Source, utcnow
from storage.runs import start_run
from storage.sources import sync_sources
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample

FEED = "application/rss+xml"
GRID = timedelta(seconds=10)
NOW = datetime(2026, 11, 2, 12, 0, 3, 400_000, tzinfo=UTC)


def source_of(source_id: str = "xx_s", **schedule: object) -> SourceConfig:
    return make_source(id=source_id, urls=["https://www.example.gov/feed.xml"], schedule=schedule)


def test_aligned_rounds_to_the_nearest_step_or_up_and_keeps_the_time_zone() -> None:
    assert aligned(NOW, GRID) == datetime(2026, 11, 2, 12, 0, 0, tzinfo=UTC)
    assert aligned(NOW, GRID, up=True) == datetime(2026, 11, 2, 12, 0, 10, tzinfo=UTC)
    on_grid = datetime(2026, 11, 2, 12, 0, 10, tzinfo=UTC)
    assert aligned(on_grid, GRID, up=True) == on_grid
    tokyo = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    assert aligned(tokyo, GRID).tzinfo == tokyo.tzinfo
    assert aligned(NOW, timedelta(0)) == NOW


def test_only_sources_whose_cadence_is_a_multiple_of_the_grid_keep_to_it() -> None:
    assert keeps_grid(source_of(every="30s"), GRID)
    assert keeps_grid(source_of(every="15m"), GRID)
    assert keeps_grid(source_of(cron="0 9 * * 1-5"), GRID)
    assert not keeps_grid(source_of(every="45s"), timedelta(seconds=20)), "would stretch to 60s"
    assert not keeps_grid(source_of(every="30s"), timedelta(0))


def test_an_aligned_interval_keeps_its_length_and_its_jitter_bounds() -> None:
    plain = AlignedTrigger(trigger_for(source_of(every="30s")), GRID)
    fire = aligned(NOW, GRID, up=True)
    current = fire
    for _ in range(5):
        after = plain.get_next_fire_time(current, current)
        assert after == current + timedelta(seconds=30), "the grid must not stretch an interval"
        current = after

    jittered = AlignedTrigger(trigger_for(source_of(every="30s", jitter="25s")), GRID)
    random.seed(4)
    gaps = set()
    for _ in range(200):
        after = jittered.get_next_fire_time(fire, fire)
        assert after is not None
        assert after == aligned(after, GRID), "off the grid"
        gap = after - fire
        assert timedelta(seconds=30) <= gap <= timedelta(seconds=30 + 25 + 5)
        gaps.add(gap)
    assert len(gaps) >= 3, "jitter must still spread the runs (in grid steps)"


def test_a_cron_source_fires_at_its_minute_on_the_grid() -> None:
    source = source_of(cron="30 9 * * 1")
    fire = AlignedTrigger(trigger_for(source), GRID).get_next_fire_time(None, NOW)
    assert fire == trigger_for(source).get_next_fire_time(None, NOW)


class RecordingScheduler(SourceScheduler):
    """The daemon's scheduler with each batch recorded instead of crawled (the crawl is
    tested in tests/scheduler/test_daemon.py), as ``EnqueuingScheduler`` queues it."""

    def __init__(self, engine: Engine, config: AppConfig) -> None:
        super().__init__(engine, config)
        self.batches: list[list[str]] = []
        self.crawling: set[str] = set()

    async def _crawl(self, source_ids: list[str]) -> None:
        assert not self.crawling & set(source_ids), "a source was crawled twice at once"
        self.crawling.update(source_ids)
        self.batches.append(sorted(source_ids))
        await asyncio.sleep(0.05)
        self.crawling.difference_update(source_ids)


def test_sources_due_apart_within_one_window_share_one_crawl_every_time(
    sqlite_engine: Engine,
) -> None:
    """Four sources due 1.2 s apart (more than the batcher waits for stragglers) within one
    5 s window: each tick crawls all four in one batch, and keeps doing so."""
    window = timedelta(seconds=5)
    ids = [f"xx_tick_{n}" for n in range(4)]
    sources = {sid: source_of(sid, every="5s") for sid in ids}
    tick = aligned(utcnow() + timedelta(seconds=8), window, up=True)
    with transaction(sqlite_engine) as session:
        sync_sources(session, [(sid, sid) for sid in ids])
        for n, sid in enumerate(ids):
            due = tick - timedelta(seconds=4.8) + n * timedelta(seconds=1.2)
            run_id = start_run(session, sid, is_baseline=False)
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id)
                .values(started_at=due - timedelta(seconds=5), finished_at=due, outcome="ok")
            )
    config = AppConfig.model_validate(
        {"scheduler": {"batch_window": "5s", "startup_spread": "1s", "misfire_grace": "30s"}}
    )

    async def scenario() -> RecordingScheduler:
        scheduler = RecordingScheduler(sqlite_engine, config)
        scheduler.start(sources)
        try:
            for _ in range(400):
                if len(scheduler.batches) >= 2:
                    break
                await asyncio.sleep(0.1)
        finally:
            scheduler.pause()
            scheduler.shutdown()
        return scheduler

    scheduler = asyncio.run(scenario())
    assert scheduler.batches[:2] == [sorted(ids), sorted(ids)]
    with transaction(sqlite_engine) as session:
        next_runs = set(session.scalars(select(Source.next_run_at).where(Source.id.in_(ids))))
    assert len(next_runs) == 1, "one due time for all four"


def names(engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        return {sid: name for sid, name in session.execute(select(Source.id, Source.name))}


def test_sources_rows_are_written_at_start_and_on_reload_not_by_crawls(
    sqlite_engine: Engine, pages: PageServer
) -> None:
    url = pages.route("/feed.xml", Route(rss([sample(1)]), content_type=FEED))
    first = make_source(id="xx_rows", name="First name", urls=[url], schedule={"every": "1h"})
    config = AppConfig.model_validate({})

    async def start_then_reload() -> ReloadReport:
        scheduler = RecordingScheduler(sqlite_engine, config)
        scheduler.start({first.id: first})
        assert names(sqlite_engine) == {"xx_rows": "First name"}, "written at start"
        renamed = first.model_copy(update={"name": "Second name"})
        report = scheduler.apply({first.id: renamed}, config)
        scheduler.shutdown()
        return report

    report = asyncio.run(start_then_reload())
    assert report.updated == ["xx_rows"]
    assert names(sqlite_engine) == {"xx_rows": "Second name"}, "a reload writes the new name"

    # The daemon's crawls leave the row to start and reload; a one-shot crawl writes it.
    stale = first.model_copy(update={"name": "Name in an old file"})
    [summary] = crawl(stale, sqlite_engine, sync_sources=False)
    assert summary.outcome == "ok"
    assert names(sqlite_engine) == {"xx_rows": "Second name"}
    crawl(stale, sqlite_engine)
    assert names(sqlite_engine) == {"xx_rows": "Name in an old file"}


def test_a_source_due_again_during_its_run_is_crawled_right_after_never_during() -> None:
    calls: list[list[str]] = []
    crawling: set[str] = set()
    release = asyncio.Event()

    async def crawl(source_ids: list[str]) -> None:
        assert not crawling & set(source_ids), "a source was crawled twice at once"
        crawling.update(source_ids)
        calls.append(sorted(source_ids))
        if len(calls) == 1:
            await release.wait()  # the first run is still going when the source is due again
        crawling.difference_update(source_ids)

    async def scenario() -> None:
        batcher = DueBatches(crawl, window=0.01, limit=10, rerun=True)
        first = asyncio.create_task(batcher.run("xx_a"))
        while not calls:
            await asyncio.sleep(0.01)
        again = asyncio.create_task(batcher.run("xx_a"))
        await asyncio.sleep(0.1)
        assert calls == [["xx_a"]], "the second run must wait for the first"
        release.set()
        await asyncio.gather(first, again)

    asyncio.run(scenario())
    assert calls == [["xx_a"], ["xx_a"]], "due again during its run: crawled after it, not skipped"
