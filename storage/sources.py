"""The ``sources`` and ``url_validators`` tables: what each source is, its baseline, its health
columns, and the HTTP validators of its URLs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.identity import url_hash
from storage.models import CrawlRun, Source, UrlValidator, utcnow
from storage.upsert import dialect_insert


def sync_sources(session: Session, sources: Iterable[tuple[str, str]]) -> None:
    """Make sure a ``sources`` row exists for each ``(id, name)``; names follow the config."""
    for source_id, name in sources:
        statement = dialect_insert(session, Source).values(
            id=source_id, name=name, state="new", consecutive_failures=0, created_at=utcnow()
        )
        session.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"name": name}))


def baseline_states(
    session: Session, source_ids: Sequence[str]
) -> dict[str, tuple[datetime | None, datetime | None]]:
    """``source_id → (baseline completed at, first run started at)``.

    A source is in baseline until one run has read all its URLs (``baseline_completed_at``);
    an interrupted or partial first run leaves it there. The first run's start tells a
    resumed baseline which items appeared after watching began.
    """
    completed = {
        source_id: at
        for source_id, at in session.execute(
            select(Source.id, Source.baseline_completed_at).where(Source.id.in_(source_ids))
        )
    }
    first_runs = {
        source_id: at
        for source_id, at in session.execute(
            select(CrawlRun.source_id, func.min(CrawlRun.started_at))
            .where(CrawlRun.source_id.in_(source_ids))
            .group_by(CrawlRun.source_id)
        )
    }
    return {
        source_id: (completed.get(source_id), _aware(first_runs.get(source_id)))
        for source_id in source_ids
    }


def _aware(moment: datetime | None) -> datetime | None:
    """Aggregates skip the column type on some backends: re-attach UTC to a naive value."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def load_all_validators(
    session: Session, source_ids: Sequence[str]
) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    """``source_id → url → (etag, last_modified)`` for many sources in one query."""
    found: dict[str, dict[str, tuple[str | None, str | None]]] = {sid: {} for sid in source_ids}
    rows = session.scalars(select(UrlValidator).where(UrlValidator.source_id.in_(source_ids)))
    for row in rows:
        found[row.source_id][row.url] = (row.etag, row.last_modified)
    return found


def save_validators(
    session: Session, source_id: str, validators: dict[str, tuple[str | None, str | None]]
) -> None:
    """Remember validators, called only after a run stored everything it parsed.

    Saving them earlier would let a crash between fetch and store turn the next poll into
    a 304 and lose the items of that response. They are the source's own: another source
    reading the same URL keeps its own pair.
    """
    for url, (etag, last_modified) in validators.items():
        values = {"etag": etag, "last_modified": last_modified, "updated_at": utcnow()}
        statement = dialect_insert(session, UrlValidator).values(
            source_id=source_id, url_hash=url_hash(url), url=url, **values
        )
        session.execute(
            statement.on_conflict_do_update(index_elements=["source_id", "url_hash"], set_=values)
        )


def lock_source(session: Session, source_id: str) -> Source:
    """The source's row re-read under a row lock (``FOR UPDATE`` on PostgreSQL), after the
    caller's pending writes are flushed: two runs of one source finishing at once then
    update its health one after the other instead of each from a stale read."""
    session.flush()
    source = session.get_one(Source, source_id)
    session.refresh(source, with_for_update=True)
    return source


def source_rows(session: Session, source_ids: Sequence[str]) -> dict[str, Source]:
    """The ``sources`` rows of these ids (ids never crawled have none)."""
    rows = session.scalars(select(Source).where(Source.id.in_(source_ids)))
    return {row.id: row for row in rows}


def set_next_runs(session: Session, next_runs: dict[str, datetime | None]) -> None:
    """Record when the scheduler will next crawl each source (shown by ``govwatch status``)."""
    for source_id, when in next_runs.items():
        session.execute(update(Source).where(Source.id == source_id).values(next_run_at=when))
