"""trust: URLs of any length, validators per (source, URL), baselines that must complete,
identity that ignores scheme and www

Revision ID: 0003
Revises: 0002

- ``publications.url`` and ``native_id`` become Text (PostgreSQL refused URLs over 2,000
  characters); the plain index on ``url`` goes (a btree entry cannot hold a long URL); an
  index on ``(source_id, published_on)`` serves move detection.
- ``url_validators`` is keyed by ``(source_id, url_hash)``. The old rows are dropped: they
  are a cache, and the worst outcome is one full fetch per URL.
- ``sources.baseline_completed_at``: set for sources that already had a successful run.
- ``crawl_runs.items_duplicate``.
- Stored ``doc_key`` values take the identity form (``https``, no leading ``www.``; long
  keys hashed) and the cross-source ``document_keys`` are rebuilt with the rules of
  :mod:`storage.identity`, so an upgrade neither re-alerts nor merges anything new.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from crawler.urls import identity_url
from storage.identity import document_keys, is_pdf, stored_doc_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_index("ix_publications_url")
        batch.alter_column("url", type_=sa.Text(), existing_nullable=False)
        batch.alter_column("native_id", type_=sa.Text(), existing_nullable=True)
        batch.create_index("ix_publications_source_day", ["source_id", "published_on"])
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("baseline_completed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(
            sa.Column("items_duplicate", sa.Integer(), nullable=False, server_default="0")
        )
    op.drop_table("url_validators")
    op.create_table(
        "url_validators",
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"]),
        sa.PrimaryKeyConstraint("source_id", "url_hash"),
    )
    connection = op.get_bind()
    _complete_baselines(connection)
    _rekey_publications(connection)


def _complete_baselines(connection: Any) -> None:
    """A source with a successful run has finished its baseline: its next run alerts."""
    firsts = connection.execute(
        sa.text(
            "SELECT source_id, MIN(finished_at) FROM crawl_runs "
            "WHERE outcome IN ('ok', 'partial', 'not_modified') AND finished_at IS NOT NULL "
            "GROUP BY source_id"
        )
    ).all()
    for source_id, finished_at in firsts:
        connection.execute(
            sa.text("UPDATE sources SET baseline_completed_at = :at WHERE id = :id"),
            {"at": finished_at or datetime.now(UTC).replace(tzinfo=None), "id": source_id},
        )


def _rekey_publications(connection: Any) -> None:
    """New identity keys for stored publications, oldest first (the first owns a key)."""
    rows = connection.execute(
        sa.text(
            "SELECT id, source_id, doc_key, native_id, url, title, published_on, publisher, "
            "attachments FROM publications ORDER BY id"
        )
    ).all()
    urls_per_source: dict[tuple[str, str], int] = {}
    for row in rows:
        urls_per_source[(row.source_id, row.url)] = (
            urls_per_source.get((row.source_id, row.url), 0) + 1
        )
    taken = {(row.source_id, row.doc_key) for row in rows}
    connection.execute(sa.text("DELETE FROM document_keys"))
    claimed: set[str] = set()
    for row in rows:
        key = stored_doc_key(row.native_id or _identity(row.url))
        if key != row.doc_key and (row.source_id, key) not in taken:
            connection.execute(
                sa.text("UPDATE publications SET doc_key = :key WHERE id = :id"),
                {"key": key, "id": row.id},
            )
            taken.add((row.source_id, key))
        shared_url = urls_per_source[(row.source_id, row.url)] > 1  # a feed URL, not its own
        attachments = _attachments(row.attachments)
        published_on = row.published_on
        if isinstance(published_on, str):
            published_on = datetime.fromisoformat(published_on).date()
        keys = document_keys(
            url=None if shared_url else identity_url(row.url),
            title=row.title,
            day=published_on,
            publisher=row.publisher,
            native_id=row.native_id,
            pdf_urls=[
                identity_url(a["url"]) for a in attachments if is_pdf(a["url"], a.get("media_type"))
            ],
        )
        for document_key in keys:
            if document_key in claimed:
                continue
            claimed.add(document_key)
            connection.execute(
                sa.text("INSERT INTO document_keys (key, publication_id) VALUES (:key, :id)"),
                {"key": document_key, "id": row.id},
            )


def _identity(url: str) -> str:
    try:
        return identity_url(url)
    except ValueError:
        return url


def _attachments(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        value = json.loads(value)
    return [a for a in value or [] if isinstance(a, dict) and a.get("url")]


def downgrade() -> None:
    op.drop_table("url_validators")
    op.create_table(
        "url_validators",
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"]),
        sa.PrimaryKeyConstraint("url"),
    )
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("items_duplicate")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("baseline_completed_at")
    with op.batch_alter_table("publications") as batch:
        batch.drop_index("ix_publications_source_day")
        batch.alter_column("native_id", type_=sa.String(length=1000), existing_nullable=True)
        batch.alter_column("url", type_=sa.String(length=2000), existing_nullable=False)
        batch.create_index("ix_publications_url", ["url"])
