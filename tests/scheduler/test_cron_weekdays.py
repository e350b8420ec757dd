"""Crontab weekdays as every crontab reads them: 0 and 7 are Sunday, 1 is Monday."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.config_loader import load_sources
from crawler.service.scheduler import trigger_for
from tests.scheduler.test_planning import source_of

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday
SUNDAY, MONDAY, FRIDAY = 6, 0, 4  # datetime.weekday()


@pytest.mark.parametrize(
    ("cron", "weekdays"),
    [
        ("0 9 * * 7", {SUNDAY}),
        ("0 9 * * 0", {SUNDAY}),
        ("0 9 * * 1", {MONDAY}),
        ("0 9 * * 5-7", {FRIDAY, 5, SUNDAY}),
        ("0 9 * * sun", {SUNDAY}),
    ],
)
def test_weekday_numbers_follow_crontab(cron: str, weekdays: set[int]) -> None:
    trigger = trigger_for(source_of(schedule={"cron": cron}, timezone="UTC"))
    fires, moment = [], NOW
    for _ in range(6):
        fire = trigger.get_next_fire_time(None, moment)
        assert fire is not None
        fires.append(fire)
        moment = fire.replace(second=1)
    assert {fire.weekday() for fire in fires} == weekdays
    assert all(fire.hour == 9 for fire in fires)


def test_a_sunday_cron_is_accepted_in_the_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        """us_weekly:
  name: Weekly digest
  kind: feed
  urls: ["https://www.example.gov/feed.xml"]
  publisher: Example
  country: US
  language: en
  schedule: {cron: "0 9 * * 7"}
""",
        encoding="utf-8",
    )
    assert load_sources(path)["us_weekly"].schedule.cron == "0 9 * * 7"
