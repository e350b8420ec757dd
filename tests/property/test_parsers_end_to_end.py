"""Property: generated feeds (RSS 2.0, Atom, RSS 1.0), list pages and JSON API bodies, served
over real HTTP and crawled by the real runner (spiders, pipelines, SQLite), never crash the
crawl and never lose an entry silently: every run ends with an outcome, its counters add up
(items == new + duplicates + invalid), what was counted new is what is stored, and every
stored publication's date is inside the accepted window.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import given
from sqlalchemy import func, select

from crawler.outcomes import FAILED_OUTCOMES
from crawler.pipelines.validate import EARLIEST_PUBLICATION, FUTURE_TOLERANCE
from storage.db import make_engine, transaction, upgrade
from storage.models import CrawlRun, Publication
from tests.crawling import crawl, make_source
from tests.property.documents import Document, documents
from tests.property.settings import property_settings
from tests.servers.pages import PageServer, Route

FEEDS = ["rss2", "atom", "rdf"]


def crawl_twice_and_check(document: Document) -> None:
    with PageServer() as pages, tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'gw.sqlite3'}")
        upgrade(engine)
        url = pages.route("/doc", Route(document.body, content_type=document.content_type))
        source = make_source(urls=[url], **document.source_fields())
        summaries = [crawl(source, engine)[0], crawl(source, engine)[0]]
        stored_new = 0
        for summary in summaries:
            assert summary.outcome, summary
            assert summary.items_parsed == (
                summary.items_new + summary.items_duplicate + summary.items_invalid
            ), summary
            if summary.failed:
                assert summary.error, summary
                assert "Traceback" not in summary.error, summary
            stored_new += summary.items_new
        first = summaries[0]
        if not document.broken and first.outcome not in FAILED_OUTCOMES:
            # Every entry of a well-formed document is counted: new, duplicate (a repeat
            # within the document included) or invalid with a reason.
            assert first.items_parsed == len(document.entries), (first, document.entries)
        with transaction(engine) as session:
            stored = list(session.scalars(select(Publication)))
            runs = session.scalar(select(func.count()).select_from(CrawlRun))
            unfinished = session.scalar(
                select(func.count()).select_from(CrawlRun).where(CrawlRun.outcome == "running")
            )
        assert runs == 2
        assert unfinished == 0
        assert len(stored) == stored_new
        latest = datetime.now(UTC).date() + FUTURE_TOLERANCE
        for publication in stored:
            day = publication.published_on
            assert isinstance(day, date), publication.url
            assert EARLIEST_PUBLICATION <= day <= latest, (publication.url, day)
        engine.dispose()


@property_settings(10, share=0.02)
@given(documents(FEEDS))
def test_generated_feeds_are_accounted_for_end_to_end(document: Document) -> None:
    crawl_twice_and_check(document)


@property_settings(6, share=0.01)
@given(documents(["list_page"]))
def test_generated_list_pages_are_accounted_for_end_to_end(document: Document) -> None:
    crawl_twice_and_check(document)


@property_settings(6, share=0.01)
@given(documents(["json_api"]))
def test_generated_json_bodies_are_accounted_for_end_to_end(document: Document) -> None:
    crawl_twice_and_check(document)
