"""Every parsed entry ends stored (new), duplicate, or invalid with a reason; a store failure
fails the run and keeps the old validators; URLs of any length are kept on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from crawler.pipelines.store import STORE_BATCH_ITEMS
from storage.db import transaction
from storage.models import Publication, UrlValidator
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer
from tests.trust.feeds import Entry, LiveFeed, days_ago, numbered, publication_alerts

ROOT = Path(__file__).resolve().parents[2]
_FAR = "Fri, 31 Dec 9999 23:00:00 -0500"


def stored_titles(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return sorted(session.scalars(select(Publication.title)))


def five_odd_entries() -> list[Entry]:
    """The issue's feed: two normal entries, one dated year 9999, two without a link."""
    return [
        numbered(1),
        numbered(2),
        Entry(
            "Far future",
            link="https://agency.example/news/far",
            date="Fri, 31 Dec 9999 23:00:00 -0500",
        ),
        Entry("No link, first", date=days_ago(3)),
        Entry("No link, second", date=days_ago(4)),
    ]


def test_crawl_json_accounts_for_every_entry_of_an_odd_feed(
    pages: PageServer, tmp_path: Path
) -> None:
    feed = LiveFeed(pages, five_odd_entries())
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"""xx_odd_feed:
  name: Odd feed
  kind: feed
  urls: ["{feed.url}"]
  publisher: Odd Agency
  country: US
  language: en
  allow_private_network: true
""",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "GOVWATCH_SOURCES": str(config),
        "GOVWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'gw.sqlite3'}",
    }
    runs = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "crawler", "crawl", "xx_odd_feed", "--json"],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
        assert "Traceback" not in result.stderr
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    first, second = runs
    assert (first["outcome"], first["items"], first["new"], first["duplicates"]) == (
        "partial",
        5,
        4,
        0,
    )
    assert first["invalid"] == 1
    assert "9999-12-31 is more than 7 days in the future" in first["error"]
    assert (second["items"], second["new"], second["duplicates"], second["invalid"]) == (5, 0, 4, 1)
    for run in runs:
        assert run["items"] == run["new"] + run["duplicates"] + run["invalid"]


def test_entries_without_a_link_are_not_merged_into_the_feed_url(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    feed = LiveFeed(
        pages,
        [
            Entry("No link, first", date=days_ago(3)),
            Entry("No link, second", date=days_ago(4)),
            Entry("No link, guid", guid="tag:agency.example,2026:7", date=days_ago(5)),
        ],
    )
    summary = crawl(make_source(urls=[feed.url]), sqlite_engine)[0]
    assert (summary.items_parsed, summary.items_new, summary.items_duplicate) == (3, 3, 0)
    assert stored_titles(sqlite_engine) == ["No link, first", "No link, guid", "No link, second"]
    feed.entries.insert(0, Entry("No link, third", date=days_ago(1)))
    again = crawl(make_source(urls=[feed.url]), sqlite_engine)[0]
    assert (again.items_new, again.items_duplicate) == (1, 3)
    assert publication_alerts(sqlite_engine) == 1


def test_dates_outside_the_window_are_invalid_with_a_reason(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    feed = LiveFeed(
        pages,
        [
            numbered(1),
            numbered(2),
            numbered(3),
            Entry(
                "Too old", link="https://agency.example/old", date="Mon, 01 Jan 1979 10:00:00 +0000"
            ),
            Entry("Next year", link="https://agency.example/next", date=days_ago(-40)),
        ],
    )
    summary = crawl(make_source(urls=[feed.url]), sqlite_engine)[0]
    # Two of five invalid: some rows failed, so the run is partial (most failing would fail it).
    assert (summary.outcome, summary.items_parsed, summary.items_new) == ("partial", 5, 3)
    assert summary.items_invalid == 2
    assert summary.error is not None
    assert "1979-01-01 is before 1990" in summary.error
    assert "more than 7 days in the future" in summary.error


def test_a_store_failure_fails_the_run_and_keeps_the_old_validators(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    feed = LiveFeed(pages, [numbered(1)])
    source = make_source(urls=[feed.url])
    crawl(source, sqlite_engine)
    feed.entries.insert(
        0, Entry("Refused by the database", link="https://agency.example/r", date=days_ago(1))
    )
    with sqlite_engine.begin() as connection:  # the database refuses this one row
        connection.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON publications "
                "WHEN NEW.title = 'Refused by the database' "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        )
    with transaction(sqlite_engine) as session:
        validators_before = [(v.url, v.etag) for v in session.scalars(select(UrlValidator))]

    failed = crawl(source, sqlite_engine)[0]
    assert failed.outcome == "store_error"
    assert failed.failed
    assert (failed.items_parsed, failed.items_new, failed.items_duplicate) == (2, 0, 1)
    assert failed.items_invalid == 1
    assert failed.error is not None
    assert "database or disk is full" in failed.error
    with transaction(sqlite_engine) as session:
        validators_after = [(v.url, v.etag) for v in session.scalars(select(UrlValidator))]
    assert validators_after == validators_before  # the new ETag was not saved

    with sqlite_engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse"))
    recovered = crawl(source, sqlite_engine)[0]
    assert (recovered.outcome, recovered.items_new) == ("ok", 1)  # not hidden by a 304
    assert publication_alerts(sqlite_engine) == 1


def test_a_url_of_any_length_is_stored_and_deduplicated(pages: PageServer, engine: Engine) -> None:
    long_link = "https://agency.example/documents/" + "segment-" * 500 + "end"  # ~4,000 chars
    feed = LiveFeed(pages, [numbered(1), Entry("A long address", link=long_link, date=days_ago(2))])
    source = make_source(urls=[feed.url])
    first = crawl(source, engine)[0]
    assert (first.outcome, first.items_new, first.items_invalid) == ("ok", 2, 0)
    with transaction(engine) as session:
        stored = session.scalar(
            select(Publication.url).where(Publication.title == "A long address")
        )
        assert stored == long_link
        assert session.scalar(select(func.count()).select_from(Publication)) == 2
    feed.entries.insert(0, numbered(3))
    again = crawl(source, engine)[0]
    assert (again.items_new, again.items_duplicate) == (1, 2)


def test_a_feed_larger_than_a_batch_accounts_for_every_entry(
    pages: PageServer, engine: Engine
) -> None:
    """More entries than one store batch holds (``STORE_BATCH_ITEMS``), with a repeated
    entry, a URL variant, an invalid date in the middle and rows stored by an earlier run:
    every entry ends new, duplicate or invalid, and only the new ones are alerted."""
    assert STORE_BATCH_ITEMS < 650
    feed = LiveFeed(pages, [numbered(n) for n in range(1, 51)])
    source = make_source(urls=[feed.url])
    first = crawl(source, engine)[0]
    assert (first.outcome, first.is_baseline, first.items_new) == ("ok", True, 50)
    entries = [numbered(n) for n in range(1, 651)]
    entries.insert(300, numbered(10))  # repeated in the feed
    entries.insert(320, Entry("Far future", link="https://agency.example/far", date=_FAR))
    variant = numbered(20)  # the same document at its http://www. address
    entries.insert(
        340, Entry(variant.title, "http://www.agency.example/news/20", None, variant.date)
    )
    feed.entries = entries
    again = crawl(source, engine)[0]
    assert again.outcome == "partial"
    assert (again.items_parsed, again.items_new, again.items_invalid) == (653, 600, 1)
    assert again.items_parsed == again.items_new + again.items_duplicate + again.items_invalid
    assert publication_alerts(engine) == 600
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 650
