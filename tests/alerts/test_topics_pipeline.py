"""TopicsPipeline in a real crawl: topics stored, and routed on, in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from crawler.app_config import AppConfig
from crawler.runner import CrawlOptions, crawl_sources
from crawler.service.reactor import run_on_reactor
from storage.db import transaction
from storage.models import Publication
from tests.alerts.conftest import outbox
from tests.crawling import TEST_SETTINGS, make_source
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss


def entry(n: int, title: str, summary: str) -> dict[str, str]:
    return {
        "title": title,
        "link": f"https://www.example.gov/news/{n}",
        "guid": f"g-{n}",
        "date": datetime(2026, 3, n, 9, 0, tzinfo=UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"),
        "summary": summary,
    }


def test_crawled_items_get_topics_and_go_to_the_matching_channels(
    pages: PageServer, sqlite_engine: Engine, config: AppConfig
) -> None:
    feed = rss(
        [
            entry(1, "Quantum sensing roadmap", "Funding for quantum networks."),
            entry(2, "Forest trail maintenance", "Summer schedule."),
            entry(3, "Export controls on advanced chips", "New rules for AI accelerators."),
        ]
    )
    url = pages.route("/feed.xml", Route(feed, content_type="application/rss+xml"))
    source = make_source(urls=[url])
    [summary] = run_on_reactor(
        crawl_sources(
            [source],
            engine=sqlite_engine,
            options=CrawlOptions(backfill=True, settings=TEST_SETTINGS, app_config=config),
        ),
        timeout=120,
    )
    assert summary.outcome == "ok", summary.error
    with transaction(sqlite_engine) as session:
        topics = {
            p.title: p.topics for p in session.scalars(select(Publication).order_by(Publication.id))
        }
    assert topics == {
        "Quantum sensing roadmap": ["Quantum"],
        "Forest trail maintenance": [],
        "Export controls on advanced chips": ["AI", "Semiconductors", "Export controls"],
    }
    destinations = sorted(row.destination for row in outbox(sqlite_engine))
    assert destinations == [
        "slack:#ai-policy",
        "slack:#policy-alerts",
        "slack:#policy-alerts",
        "slack:#semis",
    ]


def test_topics_come_from_the_routing_file_of_the_crawls_own_config(
    pages: PageServer, sqlite_engine: Engine, config: AppConfig, tmp_path: Path
) -> None:
    """The daemon's held configuration names a routing file the disk's config does not:
    the topics follow the crawl's configuration, as its routes do."""
    routing = tmp_path / "routing.yaml"
    routing.write_text(
        "topics:\n  Forestry: {words: [forest]}\n"
        "routes:\n  - name: woods\n    match: {topics: [Forestry]}\n"
        "    channels: ['#woods']\n",
        encoding="utf-8",
    )
    held = config.model_copy(
        update={"slack": config.slack.model_copy(update={"routing_file": routing})}
    )
    feed = rss([entry(1, "Forest trail maintenance", "Summer schedule.")])
    url = pages.route("/feed.xml", Route(feed, content_type="application/rss+xml"))
    [summary] = run_on_reactor(
        crawl_sources(
            [make_source(urls=[url])],
            engine=sqlite_engine,
            options=CrawlOptions(backfill=True, settings=TEST_SETTINGS, app_config=held),
        ),
        timeout=120,
    )
    assert summary.outcome == "ok", summary.error
    with transaction(sqlite_engine) as session:
        [publication] = session.scalars(select(Publication)).all()
    assert publication.topics == ["Forestry"]
    assert [row.destination for row in outbox(sqlite_engine)] == ["slack:#woods"]
