"""Exactly once across the cluster: four workers store and deliver, two more dispatchers
deliver, and the fake Slack API sees every new publication's alert exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from storage.db import transaction
from storage.models import AlertOutbox, Publication
from tests.alerts.conftest import slack_settings
from tests.cluster.processes import Cluster
from tests.scheduler.daemon import app_config, feed_source, finished_runs, wait_until
from tests.servers.pages import PageServer, Route
from tests.servers.slack import TOKEN, FakeSlack
from tests.spiders.test_feed_spider import rss, sample

SOURCES = 6
FIRST, LATER = 2, 3  # entries in the baseline (no alerts), entries published afterwards


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def test_the_same_alert_never_posts_twice_with_four_workers_and_two_dispatchers(
    cluster: Cluster,
    pages: PageServer,
    pg_engine: Engine,
    slack: FakeSlack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("GOVWATCH_ROUTING", raising=False)
    published: dict[int, list[dict[str, str]]] = {}
    sources: dict[str, object] = {}
    for n in range(SOURCES):
        published[n] = [sample(n * 5 + k + 1) for k in range(FIRST)]
        url = pages.route(
            f"/feed{n}.xml",
            Route(lambda n=n: rss(published[n]), content_type="application/rss+xml"),
        )
        sources.update(feed_source(f"xx_once_{n}", url, every="1s"))
    settings = slack_settings(slack.api_url, claim_timeout="5m")
    cluster.write(sources, app_config(slack=settings))
    scheduler = cluster.scheduler()
    workers = [cluster.worker(f"worker-{k}", concurrency=2) for k in range(4)]
    ids = [f"xx_once_{n}" for n in range(SOURCES)]
    wait_until(
        lambda: all(finished_runs(pg_engine, sid) for sid in ids), "every baseline", timeout=120
    )
    stop = tmp_path / "stop-dispatchers"
    dispatchers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.cluster.dispatch_loop",
                cluster.database_url,
                json.dumps(settings),
                str(stop),
            ]
        )
        for _ in range(2)
    ]
    try:
        for n in range(SOURCES):  # new publications: each must be alerted once
            published[n] = [sample(n * 5 + k + 1) for k in range(FIRST + LATER)]
        expected = SOURCES * LATER
        wait_until(lambda: len(slack.posted()) >= expected, f"{expected} posts", timeout=120)

        def delivered() -> bool:
            with transaction(pg_engine) as session:
                states = Counter(session.scalars(select(AlertOutbox.status)))
            return states.get("sent", 0) >= expected and set(states) <= {"sent"}

        wait_until(delivered, "every alert marked sent", timeout=120)
    finally:
        stop.touch()
        for dispatcher in dispatchers:
            dispatcher.wait(timeout=60)
    for worker in workers:
        assert worker.stop() == 0, worker.log()
    assert scheduler.stop() == 0, scheduler.log()

    posts = Counter(message.text for message in slack.posted())
    assert len(posts) == expected
    assert all(count == 1 for count in posts.values()), posts.most_common(3)
    with transaction(pg_engine) as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == SOURCES * (
            FIRST + LATER
        )
