"""robots.txt kept in the database with its own expiry, so every process can reuse it.

A ``govwatch crawl`` run from cron is a fresh process: without this table it fetches
robots.txt once per host on every pass, doubling the requests of a pass where nothing
changed. RFC 9309 lets a crawler cache robots.txt (up to 24 hours, or what HTTP caching
says); :mod:`crawler.middlewares.robots_cache` decides the expiry, this module only reads
and writes rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import RobotsTxt, utcnow


@dataclass(frozen=True)
class CachedRobots:
    """What a host answered for /robots.txt: the status (decides allow/deny) and the body."""

    origin: str
    status: int
    body: str
    fetched_at: datetime
    expires_at: datetime


def load_robots(engine: Engine, origin: str, now: datetime | None = None) -> CachedRobots | None:
    """The cached robots.txt of ``origin`` if it has not expired yet, else None."""
    now = now or utcnow()
    with transaction(engine) as session:
        row = session.scalar(select(RobotsTxt).where(RobotsTxt.origin == origin))
        if row is None or row.expires_at <= now:
            return None
        return CachedRobots(row.origin, row.status, row.body, row.fetched_at, row.expires_at)


def load_robots_of(
    engine: Engine, origins: Iterable[str], now: datetime | None = None
) -> dict[str, CachedRobots]:
    """The unexpired cached robots.txt of each of ``origins`` that has one, in one query."""
    now = now or utcnow()
    wanted = sorted(set(origins))
    found: dict[str, CachedRobots] = {}
    with transaction(engine) as session:
        for start in range(0, len(wanted), 500):  # bounded IN lists
            rows = session.scalars(
                select(RobotsTxt).where(
                    RobotsTxt.origin.in_(wanted[start : start + 500]), RobotsTxt.expires_at > now
                )
            )
            for row in rows:
                found[row.origin] = CachedRobots(
                    row.origin, row.status, row.body, row.fetched_at, row.expires_at
                )
    return found


def save_robots(engine: Engine, entry: CachedRobots) -> None:
    """Keep ``entry`` for its origin, replacing what was kept before."""
    with transaction(engine) as session:
        row = session.get(RobotsTxt, entry.origin)
        if row is None:
            row = RobotsTxt(origin=entry.origin)
            session.add(row)
        row.status = entry.status
        row.body = entry.body
        row.fetched_at = entry.fetched_at
        row.expires_at = entry.expires_at
