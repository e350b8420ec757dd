"""weekly digests: digests, their items, and detail-page texts fetched once

Only new tables: nothing existing is rebuilt (the publications FTS triggers stay intact).

Revision ID: 0008
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("snapshot_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", sa.DateTime()),
        sa.Column("published_at", sa.DateTime()),
        sa.Column("announced_at", sa.DateTime()),
        sa.UniqueConstraint("period_start", "period_end", name="uq_digests_period"),
    )
    op.create_table(
        "digest_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("digest_id", sa.Integer(), sa.ForeignKey("digests.id"), nullable=False),
        sa.Column("publication_id", sa.Integer(), sa.ForeignKey("publications.id"), nullable=False),
        sa.Column("included", sa.Boolean(), nullable=False),
        sa.Column("key_points", sa.Text(), nullable=False),
        sa.Column("key_points_edited", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("country", sa.String(3)),
        sa.Column("topic", sa.String(200)),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("digest_id", "publication_id", name="uq_digest_items_publication"),
    )
    op.create_index("ix_digest_items_publication", "digest_items", ["publication_id"])
    op.create_table(
        "publication_texts",
        sa.Column(
            "publication_id", sa.Integer(), sa.ForeignKey("publications.id"), primary_key=True
        ),
        sa.Column("main_text", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("publication_texts")
    op.drop_index("ix_digest_items_publication", table_name="digest_items")
    op.drop_table("digest_items")
    op.drop_table("digests")
