"""The search objects migration 0006 creates outside the ORM models.

An FTS5 virtual table (and its shadow tables), its triggers and the search indexes cannot
be declared as SQLAlchemy models; :func:`include_object` tells Alembic's schema comparison
to leave them alone, so "the schema matches the models" stays a meaningful check.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "publications_fts"
FTS_VOCAB_TABLE = "publications_fts_vocab"
SEARCH_INDEXES = frozenset(
    {"ix_publications_newest", "ix_publications_title_trgm", "ix_publications_summary_trgm"}
)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: False for the search objects of migration 0006."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name in SEARCH_INDEXES)
