"""publication search: full-text search over titles and summaries in every language

SQLite: a contentless FTS5 table with the ``trigram`` tokenizer (substring search that needs
no word breaker, so Japanese, Chinese and Korean work like English and German) and its
vocabulary table, filled from the existing rows and kept in sync by triggers on
``publications``.
PostgreSQL: ``pg_trgm`` GIN indexes on title and summary, which PostgreSQL keeps in sync by
itself and which serve ``ILIKE '%…%'``.
Both: an index for the newest-first list.

Only ``revision`` / ``down_revision`` need to change if this migration is re-chained: it
touches nothing but its own objects.

Revision ID: 0006
Revises: 0002
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

# Each value is indexed with two U+001F characters appended: then every occurrence of a one-
# or two-character word is the start of some trigram, so the vocabulary table can tell
# whether (and roughly how often) it occurs. The table is contentless: it only answers rowids.

SQLITE_UPGRADE = [
    """CREATE VIRTUAL TABLE publications_fts USING fts5(
        title, summary, content='', tokenize='trigram')""",
    "CREATE VIRTUAL TABLE publications_fts_vocab USING fts5vocab(publications_fts, 'row')",
    """CREATE TRIGGER publications_fts_insert AFTER INSERT ON publications BEGIN
        INSERT INTO publications_fts(rowid, title, summary)
        VALUES (new.id, new.title || char(31, 31), coalesce(new.summary, '') || char(31, 31));
    END""",
    """CREATE TRIGGER publications_fts_delete AFTER DELETE ON publications BEGIN
        INSERT INTO publications_fts(publications_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title || char(31, 31), coalesce(old.summary, '') || char(31, 31));
    END""",
    """CREATE TRIGGER publications_fts_update AFTER UPDATE OF title, summary ON publications
    BEGIN
        INSERT INTO publications_fts(publications_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title || char(31, 31), coalesce(old.summary, '') || char(31, 31));
        INSERT INTO publications_fts(rowid, title, summary)
        VALUES (new.id, new.title || char(31, 31), coalesce(new.summary, '') || char(31, 31));
    END""",
    """INSERT INTO publications_fts(rowid, title, summary)
        SELECT id, title || char(31, 31), coalesce(summary, '') || char(31, 31)
        FROM publications""",
    "CREATE INDEX ix_publications_newest ON publications (published_on, id)",
]

SQLITE_DOWNGRADE = [
    "DROP INDEX IF EXISTS ix_publications_newest",
    "DROP TRIGGER IF EXISTS publications_fts_update",
    "DROP TRIGGER IF EXISTS publications_fts_delete",
    "DROP TRIGGER IF EXISTS publications_fts_insert",
    "DROP TABLE IF EXISTS publications_fts_vocab",
    "DROP TABLE IF EXISTS publications_fts",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_UPGRADE:
            op.execute(statement)
        return
    op.execute(
        "CREATE INDEX ix_publications_newest ON publications "
        "(published_on DESC NULLS LAST, id DESC)"
    )
    schema = _trigram_schema(bind)
    if schema is None:
        logger.warning("pg_trgm is not available: publication search works but scans the table")
        return
    for column in ("title", "summary"):
        op.execute(
            f"CREATE INDEX ix_publications_{column}_trgm ON publications "
            f'USING gin ({column} "{schema}".gin_trgm_ops)'
        )


def _trigram_schema(bind: sa.Connection) -> str | None:
    """The schema pg_trgm lives in, installing it (in ``public`` when there is one) if needed.

    Installing it into a throwaway schema would let dropping that schema take the extension
    (and every index using it) away from the whole database.
    """
    found = bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
    ).scalar()
    if found is not None:
        return str(found)
    has_public = bind.execute(
        sa.text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")
    ).scalar()
    schema = (
        "public" if has_public else str(bind.execute(sa.text("SELECT current_schema()")).scalar())
    )
    try:
        with bind.begin_nested():
            bind.execute(sa.text(f'CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA "{schema}"'))
    except sa.exc.DBAPIError as exc:
        logger.warning("cannot install pg_trgm: %s", exc.orig)
        return None
    return schema


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
        return
    op.execute("DROP INDEX IF EXISTS ix_publications_summary_trgm")
    op.execute("DROP INDEX IF EXISTS ix_publications_title_trgm")
    op.execute("DROP INDEX IF EXISTS ix_publications_newest")
