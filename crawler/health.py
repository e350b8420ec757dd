"""Source health: after every recorded run, decide the source's state and tell ops on changes.

States, in the ``sources`` table::

    new ──► ok ◄──────────────┐ (recovery alert)
             │  N failed runs in a row (health.failing_after)
             ▼                │
          failing ──► broken ─┘  M failed runs in a row (health.broken_after)
    ok ──► stale   no new item for stale_factor × the source's usual gap between publications
                   (learnt from its publication dates; never less than stale_minimum)

:func:`assess` is the whole decision, a pure function of the previous state, the finished run
and the settings, so it is tested without a database or a clock. :func:`record_health` is
the glue the runner calls in the transaction that finishes a run (every run, from
``govwatch run`` and ``govwatch crawl`` alike): it writes the new state and, only when the
state changes, one ops alert to the outbox. A failed run that does not change the state
alerts no one: ops get one message per change and one on recovery, never one per run.

A failing source is never dropped: the scheduler polls it less often
(:func:`backoff_factor`) and returns to its normal cadence on the first good run.
"""

from __future__ import annotations

import itertools
import logging
import statistics
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from crawler.alerts.router import ops_destination
from crawler.app_config import AppConfig, HealthSettings
from crawler.outcomes import FAILED_OUTCOMES
from storage.layout_history import notify_layout_drift
from storage.models import CrawlRun
from storage.outbox import enqueue_ops_alert
from storage.publications import publication_times
from storage.sources import lock_source

logger = logging.getLogger(__name__)

HEALTHY_OUTCOMES = frozenset({"ok", "partial", "not_modified", "degraded"})
TROUBLE_STATES = frozenset({"failing", "broken"})


@dataclass(frozen=True)
class Health:
    """What the ``sources`` row says about a source's health."""

    state: str
    since: datetime | None
    reason: str | None
    consecutive_failures: int


@dataclass(frozen=True)
class RunFacts:
    """The parts of a finished run that health looks at.

    ``quiet_since`` is when the newest new item was first seen (or when watching began);
    ``usual_gap`` the source's typical gap between publications, None while unknown.
    """

    outcome: str
    error: str | None
    finished_at: datetime
    quiet_since: datetime | None = None
    usual_gap: timedelta | None = None


@dataclass(frozen=True)
class Transition:
    """A state change worth one ops message."""

    source_id: str
    previous: str
    state: str
    text: str

    @property
    def is_recovery(self) -> bool:
        return self.state == "ok"


def assess(
    source_id: str, previous: Health, run: RunFacts, settings: HealthSettings
) -> tuple[Health, Transition | None]:
    """The new health after ``run``, and the message to send if the state changed."""
    if run.outcome in FAILED_OUTCOMES:
        current = _after_failure(previous, run, settings)
    elif run.outcome in HEALTHY_OUTCOMES:
        current = _after_success(run, settings)
    else:  # e.g. "interrupted": the process stopped, the source did nothing wrong
        return previous, None
    if current.state == previous.state:
        return replace(current, since=previous.since), None
    current = replace(current, since=run.finished_at)
    if previous.state == "new" and current.state == "ok":
        return current, None  # the first good run is not news
    return current, Transition(
        source_id, previous.state, current.state, _describe(source_id, previous, current, run)
    )


def _after_failure(previous: Health, run: RunFacts, settings: HealthSettings) -> Health:
    failures = previous.consecutive_failures + 1
    if failures >= settings.broken_after:
        state = "broken"
    elif failures >= settings.failing_after:
        state = "failing"
    else:
        state = previous.state
    reason = f"{failures} failed run{'s' if failures > 1 else ''} in a row; last: {run.outcome}"
    reason += f": {run.error}" if run.error else ""
    return Health(state, previous.since, reason, failures)


def _after_success(run: RunFacts, settings: HealthSettings) -> Health:
    threshold = stale_threshold(run.usual_gap, settings)
    if threshold is not None and run.quiet_since is not None:
        quiet_for = run.finished_at - run.quiet_since
        if quiet_for > threshold:
            reason = (
                f"no new item for {_human(quiet_for)} (since {run.quiet_since:%Y-%m-%d %H:%M} "
                f"UTC); its publications usually come every {_human(run.usual_gap)}, "
                f"so more than {_human(threshold)} without one is unusual"
            )
            return Health("stale", None, reason, 0)
    return Health("ok", None, None, 0)


def _describe(source_id: str, previous: Health, current: Health, run: RunFacts) -> str:
    check = f'run "govwatch check {source_id}" to see what the site returns now'
    if current.state in TROUBLE_STATES:
        polling = (
            "it is still polled, less often, and will be reported when it recovers"
            if current.state == "broken"
            else "govwatch keeps polling it, with backoff"
        )
        return f"{source_id} is {current.state}: {current.reason}. {polling}; {check}."
    if current.state == "stale":
        lead = (
            f"{source_id} recovered from {previous.state} but is stale"
            if previous.state in TROUBLE_STATES
            else f"{source_id} is stale"
        )
        return f"{lead}: {current.reason}. The site may have moved its news; {check}."
    if previous.state == "stale":
        return f"{source_id} recovered: new items again after being stale ({previous.reason})."
    return (
        f"{source_id} recovered: {run.outcome} after {previous.consecutive_failures} failed "
        f"runs ({previous.state} since {_when(previous.since)}). Last error was: "
        f"{previous.reason or 'unknown'}."
    )


def stale_threshold(usual_gap: timedelta | None, settings: HealthSettings) -> timedelta | None:
    """How long without a new item counts as stale; None while the cadence is unknown."""
    if usual_gap is None:
        return None
    return max(settings.stale_minimum, usual_gap * settings.stale_factor)


def usual_gap(published: list[datetime]) -> timedelta | None:
    """The median gap between a source's distinct publication times (three or more needed).

    The median, not the mean: one long holiday gap should not make a daily source look
    weekly, and several items on one day do not make it hourly (equal times are merged).
    """
    distinct = sorted(set(published), reverse=True)
    gaps = [newer - older for newer, older in itertools.pairwise(distinct)]
    if len(gaps) < 2:
        return None
    return timedelta(seconds=statistics.median(gap.total_seconds() for gap in gaps))


def backoff_factor(consecutive_failures: int, settings: HealthSettings) -> int:
    """How many times less often a source is polled: 1 until it is failing, then 2, 4, 8 …
    up to ``max_backoff_factor``. The first good run brings it back to 1."""
    if consecutive_failures < settings.failing_after:
        return 1
    exponent = consecutive_failures - settings.failing_after + 1
    return int(min(2 ** min(exponent, 30), settings.max_backoff_factor))


def record_health(session: Session, run: CrawlRun, config: AppConfig) -> Transition | None:
    """Update the source's health after ``run`` (already finished in this transaction)."""
    if run.finished_at is None or (
        run.outcome not in FAILED_OUTCOMES and run.outcome not in HEALTHY_OUTCOMES
    ):
        return None
    if run.outcome == "degraded":  # read by the layout fallback: one notice with selectors
        notify_layout_drift(session, run, ops_destination(config))
    source = lock_source(session, run.source_id)
    quiet_since = source.last_new_item_at or source.created_at
    # The cadence only matters once a source has been quiet for longer than the minimum:
    # below it nothing is stale, so most runs skip reading the publication dates.
    may_be_stale = (
        run.outcome in HEALTHY_OUTCOMES
        and run.finished_at - quiet_since >= config.health.stale_minimum
    )
    facts = RunFacts(
        outcome=run.outcome,
        error=run.error,
        finished_at=run.finished_at,
        quiet_since=quiet_since,
        usual_gap=usual_gap(publication_times(session, source.id)) if may_be_stale else None,
    )
    previous = Health(
        source.state, source.state_since, source.state_reason, source.consecutive_failures
    )
    current, transition = assess(source.id, previous, facts, config.health)
    source.state = current.state
    source.state_since = current.since
    source.state_reason = current.reason
    source.consecutive_failures = current.consecutive_failures
    if transition is not None:
        enqueue_ops_alert(
            session,
            text=transition.text,
            source_id=source.id,
            state=transition.state,
            destination=ops_destination(config),
        )
        logger.log(
            logging.INFO if transition.is_recovery else logging.WARNING,
            "Source %s changed state: %s → %s",
            source.id,
            transition.previous,
            transition.state,
            extra={"source_id": source.id, "run_id": run.id, "state": transition.state},
        )
    return transition


def _human(delta: timedelta | None) -> str:
    if delta is None:
        return "an unknown time"
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = round(seconds / size, 1)
            shown = int(amount) if amount.is_integer() else amount
            return f"{shown} {unit}{'' if shown == 1 else 's'}"
    return f"{seconds} seconds"


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "an unknown time"
