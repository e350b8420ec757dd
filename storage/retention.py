"""Pruning old rows: crawl runs, delivered alerts and URL validators (``govwatch db prune``).

Without it every poll adds a ``crawl_runs`` row and every alert an outbox row, for ever.
What goes, with the periods from ``retention`` in govwatch.yaml:

- ``crawl_runs`` finished before ``now - crawl_runs``, except the newest run of each source
  (the scheduler plans from it, ``status`` shows it) and any run a publication points to
  (its ``run_id`` stays meaningful). A run still ``running`` is never pruned.
- ``alert_outbox`` rows with status ``sent`` delivered before ``now - delivered_alerts``.
  Pending and failed (parked) alerts are never pruned; nor is the publication, so an alert
  is never queued twice (the outbox is only written when a publication is first stored).
- ``url_validators`` not refreshed for ``url_validators`` (a URL no longer polled, or one
  that answered 304 all that time: its next poll is then a full fetch, whose items are
  recognised as already stored).

Publications and document keys are never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, exists, func, select

from storage.db import transaction
from storage.models import AlertOutbox, CrawlRun, Publication, UrlValidator, utcnow


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of row is kept."""

    crawl_runs: timedelta = timedelta(days=90)
    delivered_alerts: timedelta = timedelta(days=30)
    url_validators: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class PruneReport:
    """How many rows went (or would go, on a dry run), and the cut-off of each kind."""

    dry_run: bool
    crawl_runs: int
    delivered_alerts: int
    url_validators: int
    crawl_runs_before: datetime
    delivered_alerts_before: datetime
    url_validators_before: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "crawl_runs": self.crawl_runs,
            "delivered_alerts": self.delivered_alerts,
            "url_validators": self.url_validators,
            "crawl_runs_before": self.crawl_runs_before.isoformat(),
            "delivered_alerts_before": self.delivered_alerts_before.isoformat(),
            "url_validators_before": self.url_validators_before.isoformat(),
        }

    def __str__(self) -> str:
        verb = "Would prune" if self.dry_run else "Pruned"
        return (
            f"{verb} {self.crawl_runs} crawl runs (finished before "
            f"{self.crawl_runs_before:%Y-%m-%d %H:%M} UTC), {self.delivered_alerts} delivered "
            f"alerts (before {self.delivered_alerts_before:%Y-%m-%d %H:%M} UTC), "
            f"{self.url_validators} URL validators (not refreshed since "
            f"{self.url_validators_before:%Y-%m-%d %H:%M} UTC)"
        )


def _old_runs(before: datetime) -> ColumnElement[bool]:
    newest_per_source = select(func.max(CrawlRun.id)).group_by(CrawlRun.source_id)
    referenced = exists().where(Publication.run_id == CrawlRun.id)
    return (
        CrawlRun.finished_at.is_not(None)
        & (CrawlRun.finished_at < before)
        & CrawlRun.id.not_in(newest_per_source.scalar_subquery())
        & ~referenced
    )


def _delivered_alerts(before: datetime) -> ColumnElement[bool]:
    return (
        (AlertOutbox.status == "sent")
        & AlertOutbox.sent_at.is_not(None)
        & (AlertOutbox.sent_at < before)
    )


def _old_validators(before: datetime) -> ColumnElement[bool]:
    return UrlValidator.updated_at < before


def prune(
    engine: Engine,
    policy: RetentionPolicy,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PruneReport:
    """Delete (or, on a dry run, count) the rows past their retention, in one transaction."""
    now = now or utcnow()
    cutoffs = (now - policy.crawl_runs, now - policy.delivered_alerts, now - policy.url_validators)
    kinds: list[tuple[Any, ColumnElement[bool]]] = [
        (CrawlRun, _old_runs(cutoffs[0])),
        (AlertOutbox, _delivered_alerts(cutoffs[1])),
        (UrlValidator, _old_validators(cutoffs[2])),
    ]
    counts: list[int] = []
    with transaction(engine) as session:
        for model, condition in kinds:
            if dry_run:
                counted = session.scalar(select(func.count()).select_from(model).where(condition))
                counts.append(int(counted or 0))
            else:
                result = session.execute(
                    delete(model).where(condition).execution_options(synchronize_session=False)
                )
                counts.append(int(getattr(result, "rowcount", 0) or 0))
    return PruneReport(
        dry_run=dry_run,
        crawl_runs=counts[0],
        delivered_alerts=counts[1],
        url_validators=counts[2],
        crawl_runs_before=cutoffs[0],
        delivered_alerts_before=cutoffs[1],
        url_validators_before=cutoffs[2],
    )
