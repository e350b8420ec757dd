"""The daemon's view of its database: reachable, or lost since when and why.

``govwatch run`` rides out a database that goes away (a restart, a failover, a network
cut): it keeps its schedule, does not start crawls it cannot record, retries the connection
and its scheduler lock, and when the database answers again records what happened. This
module only keeps that state, so the logic is testable without a database; the daemon
(crawler/service/daemon.py) does the logging and the writes.

Scheduled crawls that could not open or record their runs during the outage are kept here
as :class:`MissedCrawl` and written as ``interrupted`` runs once the database is back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class MissedCrawl:
    """A scheduled crawl of ``source_ids`` begun at ``started_at`` that the outage broke."""

    source_ids: tuple[str, ...]
    started_at: datetime


@dataclass
class DatabaseOutage:
    """``down_since`` is None while the database is reachable."""

    down_since: datetime | None = None
    reason: str = ""
    missed: list[MissedCrawl] = field(default_factory=list)

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def lost(self, reason: str, now: datetime) -> bool:
        """Note a failure; True only for the first one of an outage (log and tell once)."""
        if self.down_since is not None:
            return False
        self.down_since, self.reason = now, reason
        return True

    def miss(self, source_ids: list[str], started_at: datetime) -> None:
        self.missed.append(MissedCrawl(tuple(source_ids), started_at))

    def recorded(self, count: int) -> bool:
        """The first ``count`` missed crawls are on record; the outage ends unless crawls
        were missed meanwhile (the database went again while the record was written).
        True when the outage is over."""
        del self.missed[:count]
        if self.missed:
            return False
        self.down_since, self.reason = None, ""
        return True


def describe_error(exc: BaseException) -> str:
    """One line for a database error: its type and the driver's first line, no traceback."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0] if lines else ''}".rstrip(": ")
