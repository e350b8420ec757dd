"""Which days a digest covers, and the instants that bound them in the digest's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crawler.errors import ConfigError

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` (inclusive), read in ``timezone``."""

    start: date
    end: date
    timezone: str = "UTC"

    @property
    def label(self) -> str:
        year, week, weekday = self.start.isocalendar()
        if weekday == 1 and self.end == self.start + timedelta(days=6):
            return f"{year}-W{week:02d}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def bounds(self) -> tuple[datetime, datetime]:
        """[since, until) in UTC: midnight at the start, midnight after the end."""
        zone = ZoneInfo(self.timezone)
        since = datetime.combine(self.start, time(), zone).astimezone(UTC)
        until = datetime.combine(self.end + timedelta(days=1), time(), zone).astimezone(UTC)
        return since, until


def week(text: str, timezone: str = "UTC") -> Period:
    """``2026-W48`` → Monday to Sunday of that ISO week."""
    match = _WEEK.match(text.strip())
    if match is None:
        raise ConfigError(f"--week {text!r} is not an ISO week like 2026-W48")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise ConfigError(f"--week {text!r}: {exc}") from None
    return Period(monday, monday + timedelta(days=6), timezone)


def between(start: str, end: str, timezone: str = "UTC") -> Period:
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise ConfigError(f"--from {start!r} / --to {end!r}: dates like 2026-11-23") from None
    if last < first:
        raise ConfigError(f"--to {end} is before --from {start}")
    return Period(first, last, timezone)


def week_of_yesterday(now: datetime, timezone: str = "UTC") -> Period:
    """The default: the ISO week that contains yesterday in ``timezone`` — built on a Monday
    it is the week just ended, built on a Friday the current week so far."""
    yesterday = now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)
    monday = yesterday - timedelta(days=yesterday.weekday())
    return Period(monday, monday + timedelta(days=6), timezone)
