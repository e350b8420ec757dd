"""When each source is crawled by ``govwatch run``: one APScheduler job per source.

Jobs live on the reactor's asyncio loop (an ``AsyncIOScheduler``), have the source id as
their id, an interval or cron trigger with jitter, two instances at most (a slow crawl is
never overlapped by the next one, which waits for it), ``coalesce`` and a misfire grace
time.

Three decisions shape this module:

- **Restart-safe, from the database.** Jobs are kept in memory; the database's record of
  each source's last run is the truth. At start (and when a reload adds or reschedules a
  source) the first run follows from the last recorded run (:func:`first_run_time`): not yet
  due → at its due time; overdue or never run → soon, spread over ``startup_spread`` so a
  restart is no stampede, and no source waits a whole interval.
- **Sources due together share one crawl.** A job does not crawl; it hands its source to
  :class:`~crawler.service.due_batches.DueBatches` and waits. Due times are kept on a grid
  of ``batch_window`` (:func:`aligned`), so the sources falling due within one window all
  fire in the same scheduler tick and go to one :func:`crawl_sources` call (one Scrapy
  crawl): one crawl per tick instead of one per source, which saves the start-up cost of
  a crawl per source (figures in docs/operations.md and docs/performance.md). The job ends
  when its source's run is recorded. A job may have two instances: the run in flight and,
  when the source falls due again during it, one waiting behind it, which the batcher
  crawls when the first ends (never two runs of one source at once; a third due time
  during the run is skipped and logged).
- **Sources rows are written at start and reload only** (``sync_sources``), not on every
  crawl: the configuration, and so each source's id and name, only changes then.
- **A lost database is not a crawl's failure.** A crawl that cannot open or record its runs
  because the database is unreachable raises nothing into APScheduler (no traceback): it
  is handed to ``on_database_error``, and the daemon records it once the database is back
  (crawler/service/outage.py).
- **A failing source is polled less often, never dropped.** After each run its next run is
  pushed back by :func:`crawler.health.backoff_factor`; the first good run restores the
  normal cadence.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.app_config import AppConfig
from crawler.health import backoff_factor
from crawler.runner import CrawlOptions, crawl_sources
from crawler.service.due_batches import DueBatches, collect_window
from crawler.sources import Schedule, SourceConfig, crontab_with_day_names
from storage.db import transaction
from storage.models import utcnow
from storage.run_owners import owner_for
from storage.runs import latest_runs
from storage.sources import set_next_runs, source_rows, sync_sources

logger = logging.getLogger(__name__)

_DATABASE_DOWN = SQLAlchemyError("the database is unreachable")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# A job's run in flight, and the next one waiting behind it (DueBatches' ``rerun``): a
# due time that falls during a run is polled when that run ends, not skipped.
RUNNING_AND_WAITING = 2


def trigger_for(source: SourceConfig) -> BaseTrigger:
    """The APScheduler trigger for a source's schedule; cron runs in the source's time zone.

    Crontab weekday numbers (0 = Sunday) are turned into names first: APScheduler 3 reads
    0 as Monday (its issue #286), which would shift every weekly source by a day.
    """
    schedule = source.schedule
    jitter = int(schedule.jitter.total_seconds()) or None
    if schedule.every is not None:
        return IntervalTrigger(seconds=schedule.every.total_seconds(), jitter=jitter, timezone=UTC)
    trigger = _cron_trigger(source)
    trigger.jitter = jitter
    return trigger


def aligned(when: datetime, grid: timedelta, *, up: bool = False) -> datetime:
    """``when`` moved to the nearest multiple of ``grid`` since the epoch (``up``: the next
    one, never earlier); the time zone is kept. A grid of zero leaves ``when`` as it is.

    Nearest, not up, for the times a trigger computes: a jittered time then keeps its mean,
    and a time already on the grid (an interval that is a multiple of it, a cron minute)
    stays where it is, so the grid never stretches a source's interval.
    """
    step = grid // _MICROSECOND
    if step <= 0:
        return when
    offset = (when - _EPOCH) // _MICROSECOND
    ticks = -(-offset // step) if up else (offset + step // 2) // step
    return (_EPOCH + ticks * step * _MICROSECOND).astimezone(when.tzinfo)


def keeps_grid(source: SourceConfig, grid: timedelta) -> bool:
    """Whether a source's runs can stay on the grid without changing its cadence: its
    interval is a multiple of the grid (cron: a minute is). Other sources are scheduled as
    they ask, and still share a crawl with whatever falls due in the same second."""
    step = grid // _MICROSECOND
    if step <= 0:
        return False
    every = source.schedule.every
    span = every if every is not None else timedelta(minutes=1)
    return (span // _MICROSECOND) % step == 0


class AlignedTrigger(BaseTrigger):  # type: ignore[misc]
    """A trigger whose fire times are :func:`aligned` to a grid (jitter kept, in grid steps)."""

    def __init__(self, trigger: BaseTrigger, grid: timedelta) -> None:
        self.trigger = trigger
        self.grid = grid

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire: datetime | None = self.trigger.get_next_fire_time(previous_fire_time, now)
        return None if fire is None else aligned(fire, self.grid)

    def __str__(self) -> str:
        return f"{self.trigger} on a {self.grid.total_seconds():g}s grid"


def _cron_trigger(source: SourceConfig) -> CronTrigger:
    expression = crontab_with_day_names(source.schedule.cron or "")
    return CronTrigger.from_crontab(expression, timezone=ZoneInfo(source.timezone))


def cadence(source: SourceConfig, now: datetime) -> timedelta:
    """The normal gap between two runs (for cron: the gap between its next two fire times)."""
    if source.schedule.every is not None:
        return source.schedule.every
    trigger = _cron_trigger(source)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    return second - first if first and second else timedelta(days=1)


def due_after(source: SourceConfig, ran_at: datetime, factor: int, rng: random.Random) -> datetime:
    """When a source that ran at ``ran_at`` is due again, ``factor`` times less often."""
    schedule: Schedule = source.schedule
    jitter = timedelta(seconds=rng.uniform(0, schedule.jitter.total_seconds()))
    if schedule.every is not None:
        return ran_at + schedule.every * factor + jitter
    earliest = ran_at + cadence(source, ran_at) * (factor - 1) + timedelta(seconds=1)
    fire = _cron_trigger(source).get_next_fire_time(None, earliest)
    return (fire or earliest) + jitter


def first_run_time(
    source: SourceConfig,
    last_run_at: datetime | None,
    factor: int,
    now: datetime,
    spread: timedelta,
    rng: random.Random,
) -> datetime:
    """The first run after a (re)start: at its due time, or soon (spread) when overdue."""
    if last_run_at is not None:
        due = due_after(source, last_run_at, factor, rng)
        if due > now:
            return due
    window = min(spread, cadence(source, now)).total_seconds()
    return now + timedelta(seconds=rng.uniform(0, window))


@dataclass
class ReloadReport:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [
            f"{name} {', '.join(ids)}"
            for name, ids in (
                ("added", self.added),
                ("removed", self.removed),
                ("rescheduled", self.rescheduled),
                ("updated", self.updated),
            )
            if ids
        ]
        return "; ".join(parts) or "no source changed"


class SourceScheduler:
    """The jobs of all enabled sources, and what happens after each batch of runs."""

    def __init__(
        self,
        engine: Engine,
        config: AppConfig,
        *,
        on_crawled: Callable[[], None] = lambda: None,
        on_database_error: Callable[[SQLAlchemyError, list[str], datetime], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.sources: dict[str, SourceConfig] = {}
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.on_crawled = on_crawled
        self.on_database_error = on_database_error
        self.database_down = False  # set by the daemon: no crawl starts while it is lost
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        settings = config.scheduler
        self.due_batches = DueBatches(
            self._crawl,
            window=collect_window(settings.batch_window),
            limit=settings.max_concurrent_crawls,
            rerun=True,
        )

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running) and not self.due_batches.closed

    def start(self, sources: dict[str, SourceConfig]) -> None:
        """Schedule every enabled source from its last recorded run; call on the loop."""
        self.scheduler.start()
        enabled = {sid: source for sid, source in sources.items() if source.enabled}
        self.sources = dict(enabled)
        self._add_jobs(list(enabled.values()))

    def apply(self, sources: dict[str, SourceConfig], config: AppConfig) -> ReloadReport:
        """Make the jobs match a newly loaded configuration, without a restart."""
        enabled = {sid: source for sid, source in sources.items() if source.enabled}
        report = ReloadReport(
            added=sorted(set(enabled) - set(self.sources)),
            removed=sorted(set(self.sources) - set(enabled)),
        )
        for source_id in sorted(set(enabled) & set(self.sources)):
            if enabled[source_id].schedule != self.sources[source_id].schedule:
                report.rescheduled.append(source_id)
            elif enabled[source_id] != self.sources[source_id]:
                report.updated.append(source_id)  # next run reads the new settings
        for source_id in report.removed + report.rescheduled:
            if self.scheduler.get_job(source_id) is not None:
                self.scheduler.remove_job(source_id)
        self.sources = dict(enabled)
        self.config = config
        if report.updated:  # a new name; crawls no longer write the sources rows
            with transaction(self.engine) as session:
                sync_sources(session, [(sid, enabled[sid].name) for sid in report.updated])
        self._add_jobs([enabled[sid] for sid in report.added + report.rescheduled])
        self._record_next_runs(report.removed)  # no next run: `status` must not promise one
        return report

    def pause(self) -> None:
        """Stop starting runs (shutdown); crawls in flight go on."""
        if self.scheduler.running:
            self.scheduler.pause()
        self.due_batches.close()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _add_jobs(self, sources: list[SourceConfig]) -> None:
        if not sources:
            return
        with transaction(self.engine) as session:
            ids = [source.id for source in sources]
            sync_sources(session, [(source.id, source.name) for source in sources])
            last_runs = latest_runs(session, ids)
            rows = source_rows(session, ids)
        now = utcnow()
        spread = self.config.scheduler.startup_spread
        for source in sources:
            last = last_runs.get(source.id)
            row = rows.get(source.id)
            factor = backoff_factor(row.consecutive_failures if row else 0, self.config.health)
            first = self._on_grid(
                source,
                first_run_time(
                    source, last.started_at if last else None, factor, now, spread, self.rng
                ),
            )
            self.scheduler.add_job(
                self._job,
                trigger=self._trigger(source),
                args=[source.id],
                id=source.id,
                name=source.id,
                max_instances=RUNNING_AND_WAITING,
                coalesce=True,
                misfire_grace_time=int(self.config.scheduler.misfire_grace.total_seconds()),
                next_run_time=first,
                replace_existing=True,
            )
            logger.info(
                "Scheduled %s (%s), first run at %s",
                source.id,
                source.schedule.describe(),
                f"{first:%H:%M:%S}",
                extra={"source_id": source.id},
            )
        self._record_next_runs([source.id for source in sources])

    def _grid(self) -> timedelta:
        return self.config.scheduler.batch_window

    def _trigger(self, source: SourceConfig) -> BaseTrigger:
        trigger = trigger_for(source)
        if keeps_grid(source, self._grid()):
            return AlignedTrigger(trigger, self._grid())
        return trigger

    def _on_grid(self, source: SourceConfig, when: datetime) -> datetime:
        """A first run or a backed-off run, moved up to the grid (never earlier)."""
        if keeps_grid(source, self._grid()):
            return aligned(when, self._grid(), up=True)
        return when

    async def _job(self, source_id: str) -> None:
        await self.due_batches.run(source_id)

    async def _crawl(self, source_ids: list[str]) -> None:
        sources = [self.sources[sid] for sid in source_ids if sid in self.sources]
        if not sources:
            return  # removed by a reload while waiting
        config = self.config
        source_ids = [source.id for source in sources]
        started_at = utcnow()
        if self.database_down and self.on_database_error is not None:
            self.on_database_error(_DATABASE_DOWN, source_ids, started_at)
            return
        try:
            await crawl_sources(
                sources,
                engine=self.engine,
                options=CrawlOptions(
                    settings=dict(config.scheduler.crawl_settings),
                    app_config=config,
                    sync_sources=False,  # synced at start and on reload (_add_jobs, apply)
                ),
            )
            self._back_off(source_ids)
        except SQLAlchemyError as exc:
            if self.on_database_error is None:
                raise
            # Runs it opened cannot be recorded by this crawl any more: give them up, so
            # that the daemon closes them (as interrupted) when the database is back.
            owner = owner_for(self.engine)
            owner.release(owner.runs_of(source_ids))
            self.on_database_error(exc, source_ids, started_at)
            return
        self.on_crawled()

    def _back_off(self, source_ids: list[str]) -> None:
        """Push the next run of failing sources back; record every next run."""
        with transaction(self.engine) as session:
            rows = source_rows(session, source_ids)
        now = utcnow()
        for source_id in source_ids:
            job, row = self.scheduler.get_job(source_id), rows.get(source_id)
            if job is None or row is None:
                continue
            factor = backoff_factor(row.consecutive_failures, self.config.health)
            if factor > 1:
                source = self.sources[source_id]
                when = self._on_grid(source, due_after(source, now, factor, self.rng))
                job.modify(next_run_time=when)
                logger.info(
                    "Backed off %s: next run at %s (%d× its schedule, %d failed runs)",
                    source_id,
                    f"{when:%H:%M:%S}",
                    factor,
                    row.consecutive_failures,
                    extra={"source_id": source_id, "state": row.state},
                )
        self._record_next_runs(source_ids)

    def _record_next_runs(self, source_ids: list[str]) -> None:
        next_runs: dict[str, datetime | None] = {}
        for source_id in source_ids:
            job = self.scheduler.get_job(source_id)
            next_runs[source_id] = job.next_run_time if job is not None else None
        with transaction(self.engine) as session:
            set_next_runs(session, next_runs)
