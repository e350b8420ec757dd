"""The health state machine as a pure function: states, messages, cadence, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.app_config import HealthSettings
from crawler.health import Health, RunFacts, assess, backoff_factor, stale_threshold, usual_gap

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SETTINGS = HealthSettings(failing_after=3, broken_after=5, stale_factor=4, max_backoff_factor=8)
OK = Health("ok", NOW - timedelta(days=3), None, 0)


def failed(error: str = "xx_site: http://x/feed: HTTP 500") -> RunFacts:
    return RunFacts("http_error", error, NOW)


def good(quiet_since: datetime | None = None, gap: timedelta | None = None) -> RunFacts:
    return RunFacts("not_modified", None, NOW, quiet_since=quiet_since or NOW, usual_gap=gap)


def run_through(health: Health, facts: list[RunFacts]) -> tuple[Health, list[str]]:
    changes = []
    for fact in facts:
        health, transition = assess("xx_site", health, fact, SETTINGS)
        if transition is not None:
            changes.append(transition.state)
    return health, changes


def test_failures_alert_once_at_failing_and_once_at_broken() -> None:
    health, changes = run_through(OK, [failed()] * 9)
    assert (health.state, health.consecutive_failures, changes) == (
        "broken",
        9,
        ["failing", "broken"],
    )
    assert (
        health.reason
        == "9 failed runs in a row; last: http_error: xx_site: http://x/feed: HTTP 500"
    )


def test_a_failure_below_the_threshold_changes_nothing_visible() -> None:
    health, transition = assess("xx_site", OK, failed(), SETTINGS)
    assert (health.state, health.since, health.consecutive_failures) == ("ok", OK.since, 1)
    assert transition is None


def test_recovery_is_one_message_with_the_last_error() -> None:
    broken, _ = run_through(OK, [failed()] * 5)
    health, transition = assess("xx_site", broken, good(), SETTINGS)
    assert (health.state, health.consecutive_failures, health.since) == ("ok", 0, NOW)
    assert transition is not None
    assert transition.is_recovery
    assert transition.text.startswith("xx_site recovered: not_modified after 5 failed runs (broken")
    assert "HTTP 500" in transition.text
    assert run_through(health, [good()] * 3)[1] == []


def test_the_first_good_run_of_a_new_source_is_not_news() -> None:
    _health, transition = assess("xx_site", Health("new", None, None, 0), good(), SETTINGS)
    assert transition is None


def test_an_interrupted_run_says_nothing_about_the_source() -> None:
    facts = RunFacts("interrupted", "govwatch stopped", NOW)
    assert assess("xx_site", OK, facts, SETTINGS) == (OK, None)


def test_stale_after_much_longer_than_the_usual_gap_then_fresh_again() -> None:
    quiet = good(quiet_since=NOW - timedelta(days=9), gap=timedelta(days=2))
    health, transition = assess("xx_site", OK, quiet, SETTINGS)
    assert health.state == "stale"
    assert transition is not None
    assert transition.text.startswith("xx_site is stale: no new item for 9 days")
    assert "usually come every 2 days" in transition.text

    fresh, transition = assess("xx_site", health, good(gap=timedelta(days=2)), SETTINGS)
    assert fresh.state == "ok"
    assert transition is not None
    assert transition.text.startswith("xx_site recovered: new items")


@pytest.mark.parametrize(
    ("quiet_days", "gap", "state"),
    [
        (7, timedelta(days=2), "ok"),  # 4 × 2 days = 8 days
        (1.5, timedelta(hours=1), "ok"),  # never less than stale_minimum (2 days)
        (3, timedelta(hours=1), "stale"),
        (400, None, "ok"),  # cadence unknown: no judgement
    ],
)
def test_stale_threshold(quiet_days: float, gap: timedelta | None, state: str) -> None:
    facts = good(quiet_since=NOW - timedelta(days=quiet_days), gap=gap)
    assert assess("xx_site", OK, facts, SETTINGS)[0].state == state


def test_usual_gap_is_the_median_of_distinct_publication_times() -> None:
    days = [NOW - timedelta(days=n) for n in (0, 0, 1, 2, 3, 30)]
    assert usual_gap(days) == timedelta(days=1)
    assert usual_gap(days[:2]) is None
    assert stale_threshold(None, SETTINGS) is None


@pytest.mark.parametrize(
    ("failures", "factor"), [(0, 1), (2, 1), (3, 2), (4, 4), (5, 8), (6, 8), (1000, 8)]
)
def test_backoff_doubles_from_failing_up_to_the_cap(failures: int, factor: int) -> None:
    assert backoff_factor(failures, SETTINGS) == factor
