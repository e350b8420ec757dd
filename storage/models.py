"""The tables, as typed SQLAlchemy models.

- ``sources``: one row per configured source id, with its health state.
- ``publications``: every document seen, unique per ``(source_id, doc_key)``.
- ``document_keys``: cross-source identity claims (URL, PDF, native id, title+day+publisher);
  the first publication to claim a key owns it, later ones are duplicates and not alerted.
- ``crawl_runs``: one row per source run, whatever its outcome.
- ``url_validators``: ETag / Last-Modified per (source, fetched URL) for conditional requests.
- ``alert_outbox``: alerts to deliver, written in the same transaction as the publication.
- ``robots_txt``: each host's robots.txt as last fetched, with its own expiry (RFC 9309).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zone type; storing naive UTC and re-attaching UTC on read keeps
    comparisons right on both SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def utcnow() -> datetime:
    """The current time, aware, in UTC: the only clock the storage layer uses."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20), default="new")
    state_since: Mapped[datetime | None]
    state_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_new_item_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the first run that read every URL of the source; until then runs are baselines.
    baseline_completed_at: Mapped[datetime | None]


class Publication(Base):
    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("source_id", "doc_key", name="uq_publications_source_doc"),
        Index("ix_publications_first_seen", "first_seen_at"),
        Index("ix_publications_source_day", "source_id", "published_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    # At most 500 characters: longer keys are stored as their SHA-256 (storage.identity).
    doc_key: Mapped[str] = mapped_column(String(1000))
    native_id: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)  # any length, on every backend
    title: Mapped[str] = mapped_column(Text)
    published_on: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(3))
    publisher: Mapped[str | None] = mapped_column(String(300))
    doc_type: Mapped[str | None] = mapped_column(String(80))
    summary: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("publications.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentKey(Base):
    __tablename__ = "document_keys"

    key: Mapped[str] = mapped_column(String(700), primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    http_statuses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    items_parsed: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_invalid: Mapped[int] = mapped_column(Integer, default=0)
    items_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    is_baseline: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)


class UrlValidator(Base):
    """Validators belong to a source and a URL: two sources reading one feed each keep
    their own, so one source's 304 never hides the other's new items."""

    __tablename__ = "url_validators"

    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of url
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertOutbox(Base):
    __tablename__ = "alert_outbox"
    __table_args__ = (
        UniqueConstraint("publication_id", "destination", name="uq_outbox_publication_dest"),
        Index("ix_outbox_status", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20), default="publication")
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id"))
    destination: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    message_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class SchedulerLease(Base):
    """Who runs the scheduler on this database: one row, written by ``govwatch run``.

    Exclusivity itself comes from a PostgreSQL advisory lock or, on SQLite, a lock file
    (both vanish with the process, even on a crash); this row says who holds it, so that
    ``govwatch reload`` can signal that process and ``govwatch status`` can show it.
    """

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    reloaded_at: Mapped[datetime | None]
    reload_message: Mapped[str | None] = mapped_column(Text)


class RobotsTxt(Base):
    """A host's robots.txt as last fetched, kept until ``expires_at`` (see
    :mod:`storage.robots_cache`), so a fresh ``govwatch crawl`` process does not ask again."""

    __tablename__ = "robots_txt"

    origin: Mapped[str] = mapped_column(String(300), primary_key=True)  # scheme://host[:port]
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class Digest(Base):
    """One weekly digest for editors: a snapshot of a period, reviewed, approved, published.

    ``state`` is ``draft`` → ``approved`` → ``published``; an approved digest may go back to
    draft until it is published. ``snapshot_at`` is when its items were last gathered:
    publications first seen in the period after it are *pending* (docs/digest.md).
    """

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("period_start", "period_end", name="uq_digests_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    state: Mapped[str] = mapped_column(String(20), default="draft")
    snapshot_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    announced_at: Mapped[datetime | None]


class DigestItem(Base):
    """A publication in a digest, with the editor's choices; the publication stays as stored."""

    __tablename__ = "digest_items"
    __table_args__ = (
        UniqueConstraint("digest_id", "publication_id", name="uq_digest_items_publication"),
        Index("ix_digest_items_publication", "publication_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id"))
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    included: Mapped[bool] = mapped_column(default=True)
    key_points: Mapped[str] = mapped_column(Text, default="")
    key_points_edited: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    lead: Mapped[bool] = mapped_column(default=False)
    country: Mapped[str | None] = mapped_column(String(3))
    topic: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class PublicationText(Base):
    """The main text of a publication's detail page, fetched once (for digest key points)."""

    __tablename__ = "publication_texts"

    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), primary_key=True)
    main_text: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
