"""Storage on both backends: insert-if-absent, outbox in the same transaction, cross-source
duplicates, racing writers, and migrations that match the models."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select

from crawler.items import PublicationItem as Item
from crawler.pipelines.store import store_publication_item
from storage.db import is_current, transaction
from storage.models import AlertOutbox, Base, Publication
from storage.search_schema import include_object
from storage.sources import sync_sources


def item(**fields: object) -> Item:
    defaults: dict[str, object] = {
        "source_id": "us_a",
        "url": "https://www.example.gov/news/1",
        "title": "AI research infrastructure order",
        "published": datetime(2026, 3, 10, 18, 0, tzinfo=UTC),
        "native_id": "guid-1",
    }
    return Item.model_validate({**defaults, **fields})


def _setup(engine: Engine) -> None:
    with transaction(engine) as session:
        sync_sources(session, [("us_a", "A"), ("us_b", "B")])


def _count(engine: Engine, model: type) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_schema_is_current_and_matches_the_models(engine: Engine) -> None:
    assert is_current(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_new_item_is_stored_once_with_its_outbox_rows(engine: Engine) -> None:
    _setup(engine)
    with transaction(engine) as session:
        first = store_publication_item(
            session, item(), run_id=None, destinations=["console", "slack:#a"]
        )
    with transaction(engine) as session:
        again = store_publication_item(session, item(), run_id=None, destinations=["console"])
    assert first.is_alertable
    assert not again.is_new
    assert _count(engine, Publication) == 1
    with transaction(engine) as session:
        rows = session.scalars(select(AlertOutbox).order_by(AlertOutbox.id)).all()
        assert [(row.destination, row.status) for row in rows] == [
            ("console", "pending"),
            ("slack:#a", "pending"),
        ]
        stored = session.get_one(Publication, first.publication_id)
        assert stored.published_at == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
        assert stored.published_on == date(2026, 3, 10)


def test_outbox_rows_roll_back_with_the_publication(engine: Engine) -> None:
    _setup(engine)
    try:
        with transaction(engine) as session:
            store_publication_item(session, item(), run_id=None, destinations=["console"])
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    assert (_count(engine, Publication), _count(engine, AlertOutbox)) == (0, 0)


def test_same_document_from_another_source_is_a_duplicate_not_alerted(engine: Engine) -> None:
    _setup(engine)
    agency = "Example Agency"
    with transaction(engine) as session:
        original = store_publication_item(
            session, item(publisher=agency), run_id=None, destinations=["console"]
        )
    with transaction(engine) as session:
        by_url = store_publication_item(
            session, item(source_id="us_b", native_id=None), run_id=None, destinations=["console"]
        )
    with transaction(engine) as session:
        by_title = (
            store_publication_item(  # same publisher, same day, same title (punctuation aside)
                session,
                item(
                    source_id="us_b",
                    url="https://www.example.gov/other",
                    native_id="x",
                    title="AI Research Infrastructure Order.",
                    publisher=agency,
                ),
                run_id=None,
                destinations=["console"],
            )
        )
    assert by_url.is_new
    assert by_url.duplicate_of == original.publication_id
    assert by_title.duplicate_of == original.publication_id
    assert _count(engine, AlertOutbox) == 1


def test_same_title_same_day_in_one_source_is_not_merged(engine: Engine) -> None:
    _setup(engine)
    with transaction(engine) as session:
        store_publication_item(session, item(), run_id=None, destinations=["console"])
        second = store_publication_item(
            session,
            item(url="https://www.example.gov/news/2", native_id="guid-2"),
            run_id=None,
            destinations=["console"],
        )
    assert second.is_alertable
    assert _count(engine, AlertOutbox) == 2


def test_racing_writers_store_and_alert_once(engine: Engine) -> None:
    _setup(engine)
    barrier = threading.Barrier(4)
    results: list[bool] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            with transaction(engine) as session:
                results.append(
                    store_publication_item(
                        session, item(), run_id=None, destinations=["console"]
                    ).is_new
                )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert _count(engine, AlertOutbox) == 1
