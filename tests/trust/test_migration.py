"""Migration 0003 on a database that already watched a source: the upgrade neither
re-alerts known documents nor silences the next run."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, select, text

from storage.db import alembic_config, make_engine, transaction
from storage.models import Publication, Source
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer
from tests.trust.feeds import Entry, LiveFeed, days_ago, numbered, publication_alerts


def test_upgrade_keeps_identity_and_ends_finished_baselines(
    pages: PageServer, database_url: str
) -> None:
    engine: Engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0002")
    old = [numbered(n, host="http://www.agency.example") for n in range(1, 4)]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (id, name, state, consecutive_failures, created_at) "
                "VALUES ('xx_test_source', 'Test', 'ok', 0, '2026-01-01 00:00:00')"
            )
        )
        run_id = connection.execute(
            text(
                "INSERT INTO crawl_runs (source_id, started_at, finished_at, outcome, "
                "http_statuses, items_parsed, items_new, items_invalid, is_baseline) VALUES "
                "('xx_test_source', '2026-01-01 00:00:00', '2026-01-01 00:01:00', 'ok', "
                "'{}', 3, 3, 0, true) RETURNING id"
            )
        ).scalar_one()
        for entry in old:
            connection.execute(
                text(
                    "INSERT INTO publications (source_id, doc_key, url, title, "
                    "published_on, attachments, topics, first_seen_at, run_id) VALUES "
                    "('xx_test_source', :url, :url, :title, '2026-01-01', '[]', '[]', "
                    "'2026-01-01 00:00:00', :run)"
                ),
                {"url": entry.link, "title": entry.title, "run": run_id},
            )
    command.upgrade(alembic_config(engine), "head")
    with transaction(engine) as session:
        assert session.get_one(Source, "xx_test_source").baseline_completed_at is not None
        keys = sorted(session.scalars(select(Publication.doc_key)))
    assert keys == [f"https://agency.example/news/{n}" for n in range(1, 4)]

    moved = [numbered(n, host="https://agency.example") for n in range(1, 4)]
    feed = LiveFeed(
        pages, [Entry("Truly new", link="https://agency.example/new", date=days_ago(0))]
    )
    feed.entries += moved
    summary = crawl(make_source(urls=[feed.url]), engine)[0]
    assert (summary.is_baseline, summary.items_new, summary.items_duplicate) == (False, 1, 3)
    assert publication_alerts(engine) == 1
    engine.dispose()
