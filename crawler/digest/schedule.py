"""The weekly digest job of ``govwatch run``: build and announce at ``digest.day`` /
``digest.time`` in ``digest.timezone`` (govwatch.yaml), when ``digest.schedule`` is on.

A coroutine the daemon starts beside its other loops. It reads the configuration through a
callable, so a reload that changes the day, time or zone (or switches the job on or off)
takes effect within :data:`RECHECK`. A build runs in a worker thread; its failure is one
log line and the loop goes on (next week, or after a restart).

Runs missed while the daemon was down are made up when the loop starts (or a reload
switches the job on): every scheduled run's period after the latest digest on record (with
the default Monday 09:00, each week that ended meanwhile; only the last one when there is
no digest yet; at most :data:`MAKE_UP_WEEKS`) is built and announced, oldest first, if no
digest exists for it. A digest built by hand, or by the run itself, exists, so nothing is
built twice; the announcement is sent once per digest (crawler/digest/publish.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from crawler.alerts.outbox import unexpected
from crawler.app_config import AppConfig, DigestSettings
from crawler.digest.build import BuildResult
from crawler.digest.period import Period, week_of_yesterday
from crawler.digest.service import build_and_announce
from crawler.sources import SourceConfig
from storage import digests as store
from storage.db import transaction
from storage.models import utcnow

logger = logging.getLogger(__name__)
RECHECK = 300.0  # seconds: how often the loop re-reads the settings while it waits
MAKE_UP_WEEKS = 8  # the most missed weekly runs made up at a start
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def next_run(now: datetime, settings: DigestSettings) -> datetime:
    """The first configured weekday and time strictly after ``now`` (aware, in UTC terms)."""
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in settings.time.split(":"))
    days_ahead = (DAYS.index(settings.day) - local.weekday()) % 7
    for extra in (0, 7, 14):
        day = local.date() + timedelta(days=days_ahead + extra)
        candidate = datetime.combine(day, time(hour, minute), zone)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a weekday recurs every 7 days")  # pragma: no cover


def previous_run(now: datetime, settings: DigestSettings) -> datetime:
    """The last configured weekday and time at or before ``now`` (one week before the next
    run after it)."""
    return next_run(now, settings) - timedelta(days=7)


def missed_period(now: datetime, settings: DigestSettings) -> Period:
    """The period the last scheduled run at or before ``now`` built, or would have built."""
    return week_of_yesterday(previous_run(now, settings), settings.timezone)


def missed_periods(
    now: datetime, settings: DigestSettings, latest_end: date | None
) -> list[Period]:
    """The periods of the scheduled runs at or before ``now`` that come after the latest
    digest on record (``latest_end``, the last day it covers), oldest first: a service down
    for three weeks makes up three weeks, not only the last. With no digest on record (a
    first start, or the job just switched on) only the last run's period: weeks before
    govwatch was asked for digests were never due. At most :data:`MAKE_UP_WEEKS`."""
    periods: list[Period] = []
    run = previous_run(now, settings)
    while len(periods) < MAKE_UP_WEEKS:
        period = missed_period(run, settings)
        if latest_end is not None and period.end <= latest_end:
            break
        periods.append(period)
        if latest_end is None:
            break
        run -= timedelta(days=7)
    return periods[::-1]


def make_up_missed_runs(
    engine: Engine,
    config: AppConfig,
    sources: dict[str, SourceConfig],
    now: datetime,
) -> list[BuildResult]:
    """Build and announce, oldest first, every missed run's period (:func:`missed_periods`)
    that has no digest yet (the daemon was down at that time, or the build failed)."""
    with transaction(engine) as session:
        latest_end = store.latest_period_end(session)
    results: list[BuildResult] = []
    for period in missed_periods(now, config.digest, latest_end):
        with transaction(engine) as session:
            if store.digest_for_period(session, period.start, period.end) is not None:
                continue
        logger.info("The weekly digest of %s was missed: building it now", period.label)
        results.append(build_and_announce(engine, config, sources, period=period, now=now))
    return results


async def weekly_digest_loop(
    engine: Engine,
    config: Callable[[], AppConfig],
    sources: Callable[[], dict[str, SourceConfig]],
    stop: asyncio.Event,
    wake_dispatch: Callable[[], None],
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Until ``stop``: wait for the next configured time, then build and announce."""
    due: datetime | None = None
    seen: DigestSettings | None = None
    while not stop.is_set():
        settings = config().digest
        if not settings.schedule:
            due, seen = None, None
            await _wait(stop, RECHECK)
            continue
        if due is None or settings != seen:
            # computed before a make-up build, so a run falling due during it is not skipped
            starting, due, seen = due is None, next_run(clock(), settings), settings
            if starting:  # started, or switched on: a run missed meanwhile is made up
                await _run_build(make_up_missed_runs, engine, config, sources, clock, wake_dispatch)
            logger.info("Next weekly digest: %s", due.isoformat())
        remaining = (due - clock()).total_seconds()
        if remaining > 0:
            await _wait(stop, min(remaining, RECHECK))
            continue
        due = next_run(due, settings)
        await _run_build(build_and_announce, engine, config, sources, clock, wake_dispatch)


async def _run_build(
    build: Callable[..., BuildResult | list[BuildResult] | None],
    engine: Engine,
    config: Callable[[], AppConfig],
    sources: Callable[[], dict[str, SourceConfig]],
    clock: Callable[[], datetime],
    wake_dispatch: Callable[[], None],
) -> None:
    """One build in a worker thread; a failure is one log line (the daemon must go on), a
    build wakes the delivery loop for its announcement."""
    loop = asyncio.get_running_loop()
    try:
        call = functools.partial(build, now=clock())
        result = await loop.run_in_executor(None, call, engine, config(), sources())
    except Exception as exc:  # survived on purpose: the daemon must go on
        logger.error("The weekly digest was not built: %s", unexpected(exc))
        return
    results = result if isinstance(result, list) else [result] if result is not None else []
    for one in results:
        logger.info("Weekly digest %s: %s", one.label, one.note or f"{one.added} new items")
    if results:
        wake_dispatch()


class DaemonParts(Protocol):
    """What the job needs of the daemon (crawler/daemon.py)."""

    engine: Engine
    config: AppConfig
    sources: dict[str, SourceConfig]
    _stop: asyncio.Event

    def _dispatch_soon(self) -> None: ...


def weekly_digest_job(daemon: DaemonParts) -> Coroutine[Any, Any, None]:
    """The loop wired to a running daemon: its current configuration and sources (as a
    reload leaves them), its stop event, and its delivery loop woken after a build."""
    return weekly_digest_loop(
        daemon.engine,
        lambda: daemon.config,
        lambda: daemon.sources,
        daemon._stop,
        daemon._dispatch_soon,
    )


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
