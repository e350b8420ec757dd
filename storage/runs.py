"""The ``crawl_runs`` table: a run is started, finished with its record, and read back for
health and ``govwatch status``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, Source, utcnow

SUCCESS_OUTCOMES = ("ok", "not_modified")


def start_run(session: Session, source_id: str, *, is_baseline: bool) -> int:
    run = CrawlRun(source_id=source_id, is_baseline=is_baseline, started_at=utcnow())
    session.add(run)
    session.flush()
    return run.id


@dataclass(frozen=True)
class RunRecord:
    """What a finished run reports; written to ``crawl_runs``."""

    outcome: str
    http_statuses: dict[str, int]
    items_parsed: int
    items_new: int
    items_invalid: int
    error: str | None
    items_duplicate: int = 0


def preload_runs(session: Session, run_ids: Sequence[int], source_ids: Sequence[str]) -> None:
    """Load many runs and their sources in two queries, so recording a batch of runs finds
    them in the session instead of selecting each one."""
    session.scalars(select(CrawlRun).where(CrawlRun.id.in_(run_ids))).all()
    session.scalars(select(Source).where(Source.id.in_(source_ids))).all()


def finish_run(
    session: Session, run_id: int, record: RunRecord, *, completes_baseline: bool = False
) -> CrawlRun:
    """Write the run's record; ``completes_baseline`` when it read every URL of its source."""
    run = session.get_one(CrawlRun, run_id)
    run.finished_at = utcnow()
    run.outcome = record.outcome
    run.http_statuses = dict(record.http_statuses)
    run.items_parsed = record.items_parsed
    run.items_new = record.items_new
    run.items_invalid = record.items_invalid
    run.items_duplicate = record.items_duplicate
    run.error = record.error
    source = session.get_one(Source, run.source_id)
    source.last_run_at = run.finished_at
    if completes_baseline and source.baseline_completed_at is None:
        source.baseline_completed_at = run.finished_at
    if record.outcome in SUCCESS_OUTCOMES:
        source.last_success_at = run.finished_at
    if record.items_new:
        source.last_new_item_at = run.finished_at
    return run


def latest_runs(session: Session, source_ids: Sequence[str]) -> dict[str, CrawlRun]:
    """The newest crawl run of each source."""
    newest = (
        select(CrawlRun.source_id, func.max(CrawlRun.id).label("run_id"))
        .where(CrawlRun.source_id.in_(source_ids))
        .group_by(CrawlRun.source_id)
        .subquery()
    )
    runs = session.scalars(select(CrawlRun).join(newest, CrawlRun.id == newest.c.run_id))
    return {run.source_id: run for run in runs}


def last_failed_runs(
    session: Session, source_ids: Sequence[str], outcomes: Iterable[str]
) -> dict[str, CrawlRun]:
    """The newest failed run of each source (for the "last error" column)."""
    newest = (
        select(CrawlRun.source_id, func.max(CrawlRun.id).label("run_id"))
        .where(CrawlRun.source_id.in_(source_ids), CrawlRun.outcome.in_(list(outcomes)))
        .group_by(CrawlRun.source_id)
        .subquery()
    )
    runs = session.scalars(select(CrawlRun).join(newest, CrawlRun.id == newest.c.run_id))
    return {run.source_id: run for run in runs}


def close_unfinished_runs(
    session: Session,
    *,
    started_before: datetime | None = None,
    started_since: datetime | None = None,
    reason: str,
    source_ids: Sequence[str] | None,
) -> int:
    """Close runs a stopped process left ``running``: outcome ``interrupted`` with ``reason``.

    Such a run says nothing about the source, so health ignores the outcome; but every run
    must end with a record, not stay ``running`` for ever. ``started_since`` keeps a command
    to the runs it began itself (another process may be crawling the same sources).
    """
    query = select(CrawlRun).where(
        CrawlRun.outcome == "running",
        CrawlRun.finished_at.is_(None),
    )
    if started_before is not None:
        query = query.where(CrawlRun.started_at < started_before)
    if started_since is not None:
        query = query.where(CrawlRun.started_at >= started_since)
    if source_ids is not None:
        query = query.where(CrawlRun.source_id.in_(source_ids))
    runs = list(session.scalars(query))
    for run in runs:
        run.outcome = "interrupted"
        run.finished_at = utcnow()
        run.error = reason
    return len(runs)


def count_finished_runs(session: Session, source_ids: Sequence[str], started: datetime) -> int:
    """Runs of these sources begun since ``started`` that have ended (any outcome)."""
    count = session.scalar(
        select(func.count())
        .select_from(CrawlRun)
        .where(
            CrawlRun.source_id.in_(source_ids),
            CrawlRun.started_at >= started,
            CrawlRun.finished_at.is_not(None),
        )
    )
    return int(count or 0)
