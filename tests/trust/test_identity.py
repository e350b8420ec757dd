"""Identity survives moves (scheme, www, new host or path layout: no analyst alert, one ops
notice) and different publications are never merged (a title and a day are not enough)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select, text

from crawler.items import Attachment
from crawler.items import PublicationItem as Item
from crawler.pipelines.store import store_publication_item
from storage.db import transaction
from storage.models import Publication
from storage.sources import sync_sources
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer
from tests.trust.feeds import (
    Entry,
    LiveFeed,
    days_ago,
    numbered,
    ops_alerts,
    publication_alerts,
    rfc822,
)


def stored_urls(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return sorted(session.scalars(select(Publication.url)))


def test_a_move_from_http_www_to_https_is_not_news(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    feed = LiveFeed(pages, [numbered(n, host="http://www.agency.example") for n in range(1, 6)])
    source = make_source(urls=[feed.url])
    crawl(source, sqlite_engine)
    feed.entries = [numbered(n, host="https://agency.example") for n in range(1, 6)]
    moved = crawl(source, sqlite_engine)[0]
    assert (moved.outcome, moved.items_new, moved.items_duplicate) == ("ok", 0, 5)
    assert publication_alerts(sqlite_engine) == 0


def test_a_new_host_and_path_layout_is_recorded_as_moved_with_one_ops_notice(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    feed = LiveFeed(pages, [numbered(n) for n in range(1, 6)])
    source = make_source(urls=[feed.url])
    crawl(source, sqlite_engine)
    feed.entries = [
        Entry(e.title, link=f"https://news.agency.example/2026/item-{n}", date=e.date)
        for n, e in enumerate(feed.entries, 1)
    ]
    moved = crawl(source, sqlite_engine)[0]
    assert (moved.outcome, moved.items_new, moved.items_duplicate, moved.items_moved) == (
        "ok",
        0,
        5,
        5,
    )
    assert moved.items_parsed == moved.items_new + moved.items_duplicate + moved.items_invalid
    assert publication_alerts(sqlite_engine) == 0
    notices = ops_alerts(sqlite_engine)
    assert len(notices) == 1
    assert "5 known publications now appear at new addresses" in notices[0]
    assert stored_urls(sqlite_engine) == [
        f"https://news.agency.example/2026/item-{n}" for n in range(1, 6)
    ]

    feed.entries.insert(
        0, Entry("Truly new", link="https://news.agency.example/2026/new", date=days_ago(0))
    )
    again = crawl(source, sqlite_engine)[0]
    assert (again.items_new, again.items_duplicate, again.items_moved) == (1, 5, 0)
    assert publication_alerts(sqlite_engine) == 1
    assert len(ops_alerts(sqlite_engine)) == 1


def test_a_second_item_with_the_same_title_and_day_is_new_not_a_move(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    morning = datetime.now(UTC).replace(hour=1, minute=0)
    feed = LiveFeed(
        pages,
        [Entry("Press Briefing", link="https://agency.example/briefing/1", date=rfc822(morning))],
    )
    source = make_source(urls=[feed.url])
    crawl(source, sqlite_engine)
    afternoon = morning.replace(hour=2)
    feed.entries.insert(
        0,
        Entry(
            "Press Briefing",
            link="https://agency.example/briefing/2",
            date=rfc822(afternoon),
        ),
    )
    found = crawl(source, sqlite_engine)[0]
    assert (found.items_new, found.items_duplicate, found.items_moved) == (1, 1, 0)
    assert publication_alerts(sqlite_engine) == 1
    assert ops_alerts(sqlite_engine) == []


def test_a_candidate_the_database_refuses_after_a_move_counts_invalid_and_fails_the_run(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    """The move is recorded, then the database refuses the one candidate stored as new: that
    candidate alone counts invalid, the moved ones stay duplicates, and the run fails."""
    morning = datetime.now(UTC).replace(hour=1, minute=0)
    briefing = Entry(
        "Press Briefing", link="https://agency.example/briefing/1", date=rfc822(morning)
    )
    feed = LiveFeed(pages, [briefing, *(numbered(n) for n in range(1, 6))])
    source = make_source(urls=[feed.url])
    crawl(source, sqlite_engine)
    refused = "https://agency.example/briefing/2"
    with sqlite_engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER refuse_briefing BEFORE INSERT ON publications "
                f"WHEN NEW.url = '{refused}' BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"
            )
        )
    second = Entry("Press Briefing", link=refused, date=rfc822(morning.replace(hour=2)))
    feed.entries = [
        second,
        briefing,
        *(
            Entry(e.title, link=f"https://news.agency.example/2026/item-{n}", date=e.date)
            for n, e in enumerate(feed.entries[1:], 1)
        ),
    ]
    run = crawl(source, sqlite_engine)[0]
    assert (run.outcome, run.items_new, run.items_duplicate, run.items_moved) == (
        "store_error",
        0,
        6,
        5,
    )
    assert run.items_invalid == 1
    assert run.items_parsed == run.items_new + run.items_duplicate + run.items_invalid
    assert run.error is not None
    assert "disk quota exceeded" in run.error
    assert refused not in stored_urls(sqlite_engine)
    assert len(ops_alerts(sqlite_engine)) == 1


def test_two_publishers_press_briefings_of_one_day_are_two_alerts(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    day = days_ago(0.01)
    first = LiveFeed(pages, [numbered(1)], path="/a.xml")
    second = LiveFeed(pages, [numbered(2, host="https://other.example")], path="/b.xml")
    sources = [
        make_source(id="xx_agency_a", urls=[first.url], publisher="Agency A"),
        make_source(id="xx_agency_b", urls=[second.url], publisher="Agency B"),
    ]
    crawl(sources, sqlite_engine)
    first.entries.insert(0, Entry("Press Briefing", link="https://agency.example/pb", date=day))
    second.entries.insert(0, Entry("Press Briefing", link="https://other.example/pb", date=day))
    found = crawl(sources, sqlite_engine)
    assert [(run.source_id, run.items_new) for run in found] == [
        ("xx_agency_a", 1),
        ("xx_agency_b", 1),
    ]
    assert publication_alerts(sqlite_engine) == 2


def item(**fields: object) -> Item:
    defaults: dict[str, object] = {
        "source_id": "us_a",
        "url": "https://a.example/news/1",
        "title": "Press Briefing",
        "published": datetime(2026, 3, 10, 18, 0, tzinfo=UTC),
        "publisher": "Agency A",
    }
    return Item.model_validate({**defaults, **fields})


def duplicate_of(engine: Engine, *items: Item) -> list[int | None]:
    with transaction(engine) as session:
        sync_sources(session, [("us_a", "A"), ("us_b", "B")])
    results = []
    for each in items:
        with transaction(engine) as session:
            results.append(
                store_publication_item(
                    session, each, run_id=None, destinations=["console"]
                ).duplicate_of
            )
    return results


def test_a_shared_pdf_or_document_number_merges_across_sources(engine: Engine) -> None:
    pdf = Attachment(url="https://a.example/files/order-14.pdf", media_type="application/pdf")
    by_pdf = duplicate_of(
        engine,
        item(title="Order 14 on AI", attachments=[pdf]),
        item(
            source_id="us_b",
            url="https://b.example/p/9",
            title="Executive order on AI",
            publisher="Agency B",
            attachments=[pdf],
        ),
    )
    assert by_pdf[0] is None
    assert by_pdf[1] is not None


def test_a_generic_title_alone_never_merges_across_sources(engine: Engine) -> None:
    merged = duplicate_of(
        engine,
        item(native_id="123"),
        item(source_id="us_b", url="https://b.example/pb", native_id="123", publisher="Agency B"),
    )
    assert merged == [None, None]
