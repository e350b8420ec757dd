"""The store pipeline's batches (one transaction, bulk statements) end every item exactly as
storing them one by one would: new, duplicate (in the batch, a URL variant, an existing row,
another source's document) or held as a move candidate; an item the database refuses in
the middle of a batch is invalid with the reason, and the others are stored, each alert
queued with its publication. Both paths run the same scenario on both backends."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text

from crawler.items import PublicationItem
from crawler.pipelines.store import store_batch, store_one
from crawler.runs import RunState, StoreFailed
from storage.db import transaction
from storage.models import AlertOutbox, Publication
from storage.runs import start_run
from storage.sources import sync_sources
from tests.crawling import make_source

DAY = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
Entries = Sequence[tuple[RunState, PublicationItem, Sequence[str]]]


def item(source_id: str, url: str, title: str, **fields: object) -> PublicationItem:
    return PublicationItem.model_validate(
        {"source_id": source_id, "url": url, "title": title, "published": DAY, **fields}
    )


def open_run(engine: Engine, source_id: str) -> RunState:
    run = RunState(make_source(id=source_id, urls=["https://example.gov/feed"]), engine=engine)
    with transaction(engine) as session:
        sync_sources(session, [(source_id, source_id)])
        run.run_id = start_run(session, source_id, is_baseline=False)
    return run


class BatchRefused(AssertionError):
    """The batch fell back to one transaction per item: the bulk path itself failed."""


def in_batch(entries: Entries) -> None:
    """Through the bulk path, which must succeed on its own: its fallback (one item at a
    time) would give the same counts and hide a broken bulk statement."""
    handler = _Warnings()
    logger = logging.getLogger("crawler.pipelines.store")
    logger.addHandler(handler)
    try:
        store_batch(entries)
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise BatchRefused(handler.messages[0])


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def one_by_one(entries: Entries) -> None:
    for run, found, destinations in entries:
        store_one(run, found, destinations)


PATHS = [pytest.param(in_batch, id="batch"), pytest.param(one_by_one, id="one-by-one")]


def publication_id(engine: Engine, title: str) -> int:
    with transaction(engine) as session:
        return session.scalars(select(Publication.id).where(Publication.title == title)).one()


def alerted_titles(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return sorted(
            session.scalars(
                select(Publication.title).join(
                    AlertOutbox, AlertOutbox.publication_id == Publication.id
                )
            )
        )


@pytest.mark.parametrize("store", PATHS)
def test_a_batch_ends_each_item_as_storing_one_by_one_would(
    engine: Engine, store: Callable[[Entries], None]
) -> None:
    run_a, run_b = open_run(engine, "us_a"), open_run(engine, "us_b")
    gov = "https://www.example.gov"
    one_by_one(  # stored by earlier runs
        [
            (run_a, item("us_a", f"{gov}/news/e", "Existing notice", native_id="guid-e"), ()),
            (run_b, item("us_b", f"{gov}/shared", "Shared order", publisher="Agency B"), ()),
        ]
    )
    run_a.items_new = run_b.items_new = 0
    alert = ("console",)
    store(
        [
            (run_a, item("us_a", f"{gov}/news/1", "First notice", native_id="guid-1"), alert),
            (run_a, item("us_a", f"{gov}/news/1", "First notice", native_id="guid-1"), alert),
            (run_a, item("us_a", "http://www.example.gov/news/2", "Second notice"), alert),
            (run_a, item("us_a", "https://example.gov/news/2", "Second notice"), alert),
            (run_a, item("us_a", f"{gov}/news/e", "Existing notice", native_id="guid-e"), alert),
            (run_a, item("us_a", "https://example.gov/shared", "Shared order, as A has it"), alert),
            (run_b, item("us_b", f"{gov}/b/1", "B's own notice", native_id="guid-b1"), alert),
            (run_a, item("us_a", f"{gov}/ip7", "Press release seven", native_id="urn:ip/26/7"), alert),
            (run_b, item("us_b", f"{gov}/b/ip7", "B quotes release seven", native_id="urn:ip/26/7"), alert),
            (run_a, item("us_a", "https://new.example.gov/e", "Existing notice"), alert),
        ]
    )  # fmt: skip

    # A: new 1, 2, the shared order (another source's document: stored, not alerted) and
    # release seven; duplicates: 1 again, the URL variant of 2, the existing row; the
    # existing notice at a new address is held as a move candidate (settled at run end).
    assert (run_a.items_new, run_a.items_duplicate, len(run_a.move_candidates)) == (4, 3, 1)
    assert run_a.move_candidates[0].known_id == publication_id(engine, "Existing notice")
    assert (run_b.items_new, run_b.items_duplicate) == (2, 0)
    assert run_a.invalid == run_b.invalid == run_a.errors == run_b.errors == []
    assert alerted_titles(engine) == [
        "B's own notice",
        "First notice",
        "Press release seven",
        "Second notice",
    ]
    with transaction(engine) as session:
        duplicate_of = dict(
            session.execute(
                select(Publication.title, Publication.duplicate_of).where(
                    Publication.duplicate_of.is_not(None)
                )
            ).all()
        )
        assert session.scalar(select(func.count()).select_from(Publication)) == 8
    assert duplicate_of == {
        "Shared order, as A has it": publication_id(engine, "Shared order"),
        "B quotes release seven": publication_id(engine, "Press release seven"),
    }


def refuse_a_title(engine: Engine, title: str) -> None:
    """Make the database itself refuse rows with this title (a trigger, as a full disk or a
    constraint would refuse them)."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON publications "
                    f"WHEN NEW.title = '{title}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
                )
            )
            return
        connection.execute(
            text(
                "CREATE FUNCTION refuse_title() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused by the database'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        connection.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON publications "
                "FOR EACH ROW EXECUTE FUNCTION refuse_title()"
            )
        )


def test_an_item_refused_in_the_middle_of_a_batch_is_invalid_and_the_rest_stored(
    engine: Engine,
) -> None:
    run = open_run(engine, "us_a")
    refuse_a_title(engine, "Refused notice")
    titles = ["Notice one", "Notice two", "Refused notice", "Notice four", "Notice five"]
    store_batch(
        [
            (run, item("us_a", f"https://example.gov/n/{n}", title), ("console",))
            for n, title in enumerate(titles)
        ]
    )
    assert (run.items_new, run.items_duplicate) == (4, 0)
    assert len(run.invalid) == 1
    assert run.invalid[0].startswith("https://example.gov/n/2: could not be stored:")
    assert "refused by the database" in run.invalid[0]
    assert [type(error) for error in run.errors] == [StoreFailed]
    assert alerted_titles(engine) == sorted(set(titles) - {"Refused notice"})
