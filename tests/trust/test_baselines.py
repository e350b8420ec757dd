"""A baseline stays silent until one run has read every URL of its source: a first crawl
cut short (a failing URL, a killed process) never turns the next run into an alert storm."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from storage.db import make_engine, transaction, upgrade
from storage.models import Publication, Source
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer, Route
from tests.trust.feeds import Entry, LiveFeed, days_ago, numbered, publication_alerts, rss


def stored_count(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Publication)) or 0)


def test_a_failing_second_url_keeps_the_source_in_baseline(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    first = LiveFeed(pages, [numbered(n) for n in range(1, 4)], path="/a.xml")
    second_entries = [numbered(n) for n in range(4, 6)]
    second = pages.route("/b.xml", Route(b"internal error", status=500))
    source = make_source(urls=[first.url, second])

    broken = crawl(source, sqlite_engine)[0]
    assert (broken.outcome, broken.is_baseline, broken.items_new) == ("http_error", True, 3)

    pages.route("/b.xml", Route(rss(second_entries), content_type="application/rss+xml"))
    complete = crawl(source, sqlite_engine)[0]
    assert (complete.outcome, complete.is_baseline) == ("ok", True)
    assert (complete.items_new, complete.items_duplicate) == (2, 3)
    assert publication_alerts(sqlite_engine) == 0  # nothing old was alerted

    first.entries.insert(0, Entry("Truly new", link="https://agency.example/new", date=days_ago(0)))
    after = crawl(source, sqlite_engine)[0]
    assert (after.outcome, after.is_baseline, after.items_new) == ("ok", False, 1)
    assert publication_alerts(sqlite_engine) == 1


def test_backfill_still_alerts_a_baseline(pages: PageServer, sqlite_engine: Engine) -> None:
    feed = LiveFeed(pages, [numbered(n) for n in range(1, 4)])
    summary = crawl(make_source(urls=[feed.url]), sqlite_engine, backfill=True)[0]
    assert (summary.is_baseline, summary.items_new) == (True, 3)
    assert publication_alerts(sqlite_engine) == 3


def test_a_killed_first_crawl_does_not_flood_the_next_run(
    pages: PageServer, tmp_path: Path
) -> None:
    entries = [numbered(n, age_days=60) for n in range(1, 1001)]
    feed = LiveFeed(pages, entries)
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"""xx_big_feed:
  name: Big feed
  kind: feed
  urls: ["{feed.url}"]
  publisher: Big Agency
  country: US
  language: en
  allow_private_network: true
""",
        encoding="utf-8",
    )
    database_url = f"sqlite:///{tmp_path / 'gw.sqlite3'}"
    engine = make_engine(database_url)
    upgrade(engine)
    env = {**os.environ, "GOVWATCH_SOURCES": str(config), "GOVWATCH_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", "crawl", "xx_big_feed", "--json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while stored_count(engine) < 20 and process.poll() is None:
            assert time.monotonic() < deadline, "the crawl stored nothing in two minutes"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    stored_at_kill = stored_count(engine)
    assert 0 < stored_at_kill < len(entries), "the crawl must be killed mid-way"

    feed.entries.insert(0, Entry("Truly new", link="https://agency.example/new", date=days_ago(0)))
    source = make_source(id="xx_big_feed", name="Big feed", urls=[feed.url], publisher="Big Agency")
    resumed = crawl(source, engine)[0]
    assert (resumed.outcome, resumed.is_baseline) == ("ok", True)
    assert resumed.items_new == len(entries) + 1 - stored_at_kill
    assert publication_alerts(engine) == 1  # the truly new item only, no old one
    with transaction(engine) as session:
        assert session.get_one(Source, "xx_big_feed").baseline_completed_at is not None

    feed.entries.insert(
        0, Entry("Newer still", link="https://agency.example/newer", date=days_ago(0))
    )
    after = crawl(source, engine)[0]
    assert (after.is_baseline, after.items_new) == (False, 1)
    assert publication_alerts(engine) == 2
    engine.dispose()
