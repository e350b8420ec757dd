"""The search index of migration 0006 on each database: kept in sync on insert, update and
delete, and removable by a downgrade."""

from __future__ import annotations

from datetime import date, timedelta

from alembic import command
from sqlalchemy import Engine, delete, select, text, update

from crawler.items import PublicationItem as Item
from crawler.pipelines.store import store_publication_item
from storage import publications_read as read
from storage.db import alembic_config, transaction, upgrade
from storage.models import AlertOutbox, DocumentKey, Publication
from storage.sources import sync_sources
from tests.web.conftest import Seeded


def search(engine: Engine, query: str, limit: int = 50) -> list[str]:
    with transaction(engine) as session:
        found = read.list_publications(session, read.PublicationFilter(q=query), limit=limit)
        return [publication.title for publication in found]


def test_index_follows_updates_and_deletes(seeded: Seeded) -> None:
    engine = seeded.engine
    korean = seeded.ids["반도체 수출 규제 강화 방안 발표"]
    assert search(engine, "반도체 수출") == ["반도체 수출 규제 강화 방안 발표"]
    assert search(engine, "기준") == []
    with transaction(engine) as session:
        session.execute(
            update(Publication).where(Publication.id == korean).values(title="배터리 안전 기준")
        )
    assert search(engine, "반도체 수출") == []
    assert search(engine, "배터리 안전") == ["배터리 안전 기준"]
    assert search(engine, "기준") == ["배터리 안전 기준"]
    with transaction(engine) as session:
        session.execute(delete(AlertOutbox).where(AlertOutbox.publication_id == korean))
        session.execute(delete(DocumentKey).where(DocumentKey.publication_id == korean))
        session.execute(delete(Publication).where(Publication.id == korean))
    assert search(engine, "배터리 안전") == []
    assert search(engine, "기준") == []


def test_short_words_are_found_when_common_and_when_rare(engine: Engine) -> None:
    """Past ``COMMON_ROWS`` rows a short word is matched by scanning instead of the index;
    both ways must give the same, newest-first answer."""
    titles = [f"電池 report {n}" for n in range(read.COMMON_ROWS + 5)] + ["全固体電池の量産"]
    with transaction(engine) as session:
        sync_sources(session, [("jp_x", "X")])
        for n, title in enumerate(titles):
            item = Item(source_id="jp_x", url=f"https://example.org/{n}", title=title,
                        published=date(2020, 1, 1) + timedelta(days=n))  # fmt: skip
            store_publication_item(session, item, run_id=None, destinations=[])
    newest_first = list(reversed(titles))
    assert search(engine, "電池", limit=60) == newest_first[:60]
    assert search(engine, "量産") == ["全固体電池の量産"]
    assert search(engine, "電池 量産") == ["全固体電池の量産"]
    assert search(engine, "産") == ["全固体電池の量産"]


def test_migration_creates_the_index_and_downgrades_cleanly(seeded: Seeded) -> None:
    engine = seeded.engine
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            names = set(
                connection.scalars(
                    text("SELECT name FROM sqlite_master WHERE name LIKE 'publications_fts%'")
                )
            )
            assert {"publications_fts", "publications_fts_insert", "publications_fts_update",
                    "publications_fts_delete"} <= names  # fmt: skip
        else:
            indexes = set(
                connection.scalars(
                    text("SELECT indexname FROM pg_indexes WHERE tablename = 'publications' "
                         "AND schemaname = current_schema()")
                )
            )  # fmt: skip
            assert {"ix_publications_title_trgm", "ix_publications_summary_trgm"} <= indexes
    command.downgrade(alembic_config(engine), "0002")
    with transaction(engine) as session:  # without the index, publications are still there
        assert session.scalar(select(Publication.id).limit(1)) is not None
    upgrade(engine)  # and back: the FTS table is rebuilt from the stored rows
    assert search(engine, "人工智能") == ["关于人工智能产业发展的指导意见"]
