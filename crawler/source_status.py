"""The health report of every configured source: what ``status --json`` prints and ``/sources``
shows.

A reader of stored runs (the floor of alerts and the web app), so the CLI and the web app
both build on it without the web app importing the CLI (tests/test_architecture.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from crawler.outcomes import FAILED_OUTCOMES
from crawler.sources import SourceConfig
from storage.publications import new_items_since
from storage.runs import last_failed_runs, latest_runs
from storage.sources import source_rows


def build_report(
    session: Session, sources: dict[str, SourceConfig], now: datetime
) -> list[dict[str, Any]]:
    """One entry per configured source: what ``status --json`` prints and ``/sources`` shows."""
    ids = list(sources)
    rows = source_rows(session, ids)
    latest = latest_runs(session, ids)
    failures = last_failed_runs(session, ids, FAILED_OUTCOMES)
    weekly = new_items_since(session, now - timedelta(days=7))
    report = []
    for source_id, source in sources.items():
        row, run, failed = rows.get(source_id), latest.get(source_id), failures.get(source_id)
        report.append(
            {
                "source": source_id,
                "enabled": source.enabled,
                "schedule": source.schedule.describe(),
                "state": row.state if row else "new",
                "state_since": _iso(row.state_since if row else None),
                "state_reason": row.state_reason if row else None,
                "consecutive_failures": row.consecutive_failures if row else 0,
                "last_run_at": _iso(run.started_at if run else None),
                "last_outcome": run.outcome if run else None,
                "last_success_at": _iso(row.last_success_at if row else None),
                "last_new_item_at": _iso(row.last_new_item_at if row else None),
                "new_items_7d": weekly.get(source_id, 0),
                "next_run_at": _iso(row.next_run_at if row and source.enabled else None),
                "last_error": failed.error if failed else None,
                "last_error_at": _iso(failed.started_at if failed else None),
            }
        )
    return report


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
