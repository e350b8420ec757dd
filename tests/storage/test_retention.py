"""Retention on both backends: exactly the rows past their period go (old finished runs
nobody points to, delivered alerts, stale validators); publications, pending and failed
alerts, running runs and each source's newest run stay. Also ``govwatch db prune`` and the
daemon's own pruning, as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine, func, select, update

from crawler.items import PublicationItem as Item
from crawler.pipelines.store import store_publication_item
from storage.db import transaction
from storage.models import (
    AlertOutbox,
    CrawlRun,
    DocumentKey,
    Publication,
    UrlValidator,
    utcnow,
)
from storage.retention import RetentionPolicy, prune
from storage.runs import RunRecord, finish_run, start_run
from storage.sources import save_validators, sync_sources
from tests.scheduler.daemon import DaemonProcess, app_config, feed_source, wait_until
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample

ROOT = Path(__file__).resolve().parents[2]
DAY = timedelta(days=1)


def _run(engine: Engine, source_id: str, *, age: timedelta | None, finished: bool = True) -> int:
    """A run that started and (if ``finished``) ended ``age`` ago."""
    with transaction(engine) as session:
        run_id = start_run(session, source_id, is_baseline=False)
        if finished:
            record = RunRecord("not_modified", {"304": 1}, 0, 0, 0, None)
            finish_run(session, run_id, record)
        if age is not None:
            when = utcnow() - age
            values: dict[str, object] = {"started_at": when}
            if finished:
                values["finished_at"] = when
            session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**values))
    return run_id


def _publication(engine: Engine, run_id: int, n: int) -> int:
    item = Item.model_validate(
        {
            "source_id": "us_a",
            "url": f"https://www.example.gov/news/{n}",
            "title": f"Item {n}",
            "published": datetime(2026, 3, 10, 18, 0, tzinfo=UTC),
            "native_id": f"guid-{n}",
        }
    )
    with transaction(engine) as session:
        result = store_publication_item(session, item, run_id=run_id, destinations=["console"])
    assert result.publication_id is not None
    return result.publication_id


def _alert(engine: Engine, publication_id: int, status: str, age: timedelta) -> None:
    when = utcnow() - age
    with transaction(engine) as session:
        session.execute(
            update(AlertOutbox)
            .where(AlertOutbox.publication_id == publication_id)
            .values(
                status=status,
                created_at=when,
                sent_at=when if status == "sent" else None,
            )
        )


def _validator(engine: Engine, url: str, age: timedelta) -> None:
    with transaction(engine) as session:
        save_validators(session, "us_a", {url: ('"etag"', None)})
        session.execute(
            update(UrlValidator).where(UrlValidator.url == url).values(updated_at=utcnow() - age)
        )


def _ids(engine: Engine, column: object) -> set[object]:
    with transaction(engine) as session:
        return set(session.scalars(select(column)))  # type: ignore[call-overload]


def _world(engine: Engine) -> dict[str, int]:
    """One of every kind of row, old and recent; returns the ids that matter."""
    with transaction(engine) as session:
        sync_sources(session, [("us_a", "A"), ("us_b", "B")])
    ids = {
        "old_run": _run(engine, "us_a", age=100 * DAY),
        "old_run_with_publications": _run(engine, "us_a", age=100 * DAY),
        "old_running_run": _run(engine, "us_a", age=100 * DAY, finished=False),
        "recent_run": _run(engine, "us_a", age=10 * DAY),
        "newest_run_a": _run(engine, "us_a", age=None),
        "only_run_b": _run(engine, "us_b", age=200 * DAY),
    }
    sent_old = _publication(engine, ids["old_run_with_publications"], 1)
    sent_recent = _publication(engine, ids["old_run_with_publications"], 2)
    pending_old = _publication(engine, ids["recent_run"], 3)
    failed_old = _publication(engine, ids["recent_run"], 4)
    _alert(engine, sent_old, "sent", 31 * DAY)
    _alert(engine, sent_recent, "sent", 29 * DAY)
    _alert(engine, pending_old, "pending", 60 * DAY)
    _alert(engine, failed_old, "failed", 60 * DAY)
    ids["sent_old"] = sent_old
    _validator(engine, "https://www.example.gov/old.xml", 31 * DAY)
    _validator(engine, "https://www.example.gov/recent.xml", 29 * DAY)
    return ids


def test_prune_removes_exactly_the_rows_past_their_period(engine: Engine) -> None:
    ids = _world(engine)
    runs_before = _ids(engine, CrawlRun.id)
    alerts_before = _ids(engine, AlertOutbox.id)
    publications_before = _ids(engine, Publication.id)
    keys_before = _ids(engine, DocumentKey.key)

    dry = prune(engine, RetentionPolicy(), dry_run=True)
    assert (dry.crawl_runs, dry.delivered_alerts, dry.url_validators) == (1, 1, 1)
    assert _ids(engine, CrawlRun.id) == runs_before, "a dry run deleted something"
    assert _ids(engine, AlertOutbox.id) == alerts_before

    report = prune(engine, RetentionPolicy())
    assert (report.crawl_runs, report.delivered_alerts, report.url_validators) == (1, 1, 1)
    assert _ids(engine, CrawlRun.id) == runs_before - {ids["old_run"]}
    with transaction(engine) as session:
        statuses = sorted(session.scalars(select(AlertOutbox.status)))
        gone = session.scalar(
            select(func.count())
            .select_from(AlertOutbox)
            .where(AlertOutbox.publication_id == ids["sent_old"])
        )
    assert statuses == ["failed", "pending", "sent"]
    assert gone == 0
    assert _ids(engine, UrlValidator.url) == {"https://www.example.gov/recent.xml"}
    assert _ids(engine, Publication.id) == publications_before, "publications are never pruned"
    assert _ids(engine, DocumentKey.key) == keys_before

    again = prune(engine, RetentionPolicy())
    assert (again.crawl_runs, again.delivered_alerts, again.url_validators) == (0, 0, 0)


def test_db_prune_command_and_the_daemon_prune(
    tmp_path: Path, sqlite_engine: Engine, pages: PageServer
) -> None:
    _world(sqlite_engine)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    config = tmp_path / "prune.yaml"
    config.write_text(yaml.safe_dump(app_config()), encoding="utf-8")
    env = {
        **os.environ,
        "GOVWATCH_DATABASE_URL": url,
        "GOVWATCH_SOURCES": str(ROOT / "config" / "sources.yaml"),
        "GOVWATCH_CONFIG": str(config),
    }
    dry = subprocess.run(
        [sys.executable, "-m", "crawler", "db", "prune", "--dry-run", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr
    counts = json.loads(dry.stdout)
    assert counts["dry_run"] is True
    assert (counts["crawl_runs"], counts["delivered_alerts"], counts["url_validators"]) == (1, 1, 1)

    feed = pages.route("/feed.xml", Route(rss([sample(1)]), content_type="application/rss+xml"))
    daemon = DaemonProcess(tmp_path, url)
    daemon.write(
        feed_source("xx_feed", feed, every="1h"),
        app_config(retention={"every": "1s", "crawl_runs": "90d"}),
    )
    daemon.start()
    try:
        wait_until(lambda: "Pruned 1 crawl runs" in daemon.log(), "the daemon to prune")
        assert daemon.stop() == 0
    finally:
        daemon.kill()
    assert "Pruned 1 crawl runs" in daemon.log()
    assert "1 delivered alerts" in daemon.log()
