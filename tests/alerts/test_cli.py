"""``govwatch alerts test|pending|retry`` and ``govwatch routes explain``, as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from crawler.alerts.dispatch import dispatch_all
from crawler.app_config import AppConfig
from tests.alerts.conftest import ROOT, item, outbox, slack_settings, store
from tests.servers.slack import TOKEN, FakeSlack


def govwatch(
    *args: str, engine: Engine, slack: FakeSlack, tmp_path: Path, token: str | None = TOKEN
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "govwatch.yaml"
    config.write_text(yaml.safe_dump({"slack": slack_settings(slack.api_url)}))
    env: dict[str, Any] = {
        **os.environ,
        "GOVWATCH_CONFIG": str(config),
        "GOVWATCH_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "GOVWATCH_SOURCES": str(ROOT / "config" / "sources.yaml"),
        "COLUMNS": "200",
    }
    env.pop("SLACK_BOT_TOKEN", None)
    env.pop("GOVWATCH_ROUTING", None)
    if token:
        env["SLACK_BOT_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )


def test_alerts_test_posts_a_sample_to_every_configured_channel(
    sqlite_engine: Engine, slack: FakeSlack, tmp_path: Path
) -> None:
    slack.state.not_in_channel.add("C0SEMIS005")
    result = govwatch("alerts", "test", engine=sqlite_engine, slack=slack, tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Token OK" in result.stdout
    for channel in ("#policy-alerts", "#ai-policy", "#jp-policy", "#govwatch-ops"):
        assert f"✓ {channel}: posted" in result.stdout
    assert "✗ #semis: not_in_channel" in result.stdout
    assert len(slack.posted()) == 4
    assert all("&lt;!channel&gt;" in message.text for message in slack.posted())


def test_alerts_test_without_a_token_shows_the_sample_on_the_console(
    sqlite_engine: Engine, slack: FakeSlack, tmp_path: Path
) -> None:
    result = govwatch(
        "alerts", "test", engine=sqlite_engine, slack=slack, tmp_path=tmp_path, token=None
    )
    assert result.returncode == 0, result.stderr
    assert "govwatch test alert" in result.stdout
    assert "No Slack token in $SLACK_BOT_TOKEN" in result.stdout
    assert slack.state.requests == []


def test_failed_alerts_are_listed_and_resent(
    sqlite_engine: Engine, slack: FakeSlack, config: AppConfig, tmp_path: Path
) -> None:
    slack.state.not_in_channel.add("C0AIPOL002")
    store(sqlite_engine, config, item(1, topics=["AI"]), item(2))
    dispatch_all(sqlite_engine, config)
    failed = next(row for row in outbox(sqlite_engine) if row.status == "failed")

    listed = govwatch(
        "alerts", "pending", "--json", engine=sqlite_engine, slack=slack, tmp_path=tmp_path
    )
    assert listed.returncode == 1  # something failed: ops should look
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [
        (r["id"], r["status"], r["destination"]) for r in rows if r["kind"] == "publication"
    ] == [(failed.id, "failed", "slack:#ai-policy")]
    assert rows[0]["last_error"].startswith("not_in_channel")
    assert rows[0]["title"] == "NSF news item 1"

    slack.state.not_in_channel.clear()  # someone invited the bot
    retried = govwatch(
        "alerts", "retry", "--all", engine=sqlite_engine, slack=slack, tmp_path=tmp_path
    )
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "Queued 1 failed alert(s) again." in retried.stdout
    assert [row.status for row in outbox(sqlite_engine) if row.kind == "publication"] == [
        "sent",
        "sent",
    ]
    assert len(slack.posted("C0AIPOL002")) == 1

    table = govwatch("alerts", "pending", engine=sqlite_engine, slack=slack, tmp_path=tmp_path)
    assert table.returncode == 0
    assert "alerts waiting or failed" in table.stdout


def test_routes_explain_says_why_a_publication_went_where_it_went(
    sqlite_engine: Engine, slack: FakeSlack, config: AppConfig, tmp_path: Path
) -> None:
    title = "生成AIと半導体の輸出管理に関する検討会"
    [publication_id] = store(
        sqlite_engine,
        config,
        item(
            1,
            title=title,
            country="JP",
            language="ja",
            topics=["AI", "Semiconductors", "Export controls"],
        ),
    )
    result = govwatch(
        "routes",
        "explain",
        str(publication_id),
        engine=sqlite_engine,
        slack=slack,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "AI ← word 'AI' in title ('AI')" in out
    assert "Semiconductors ← word '半導体' in title" in out
    assert "✓ AI policy → #ai-policy (topics AI)" in out
    assert "✓ Japan → #jp-policy (country JP)" in out
    assert "#2 slack:#semis: pending, 0 attempt(s)" in out

    as_json = govwatch(
        "routes",
        "explain",
        str(publication_id),
        "--json",
        engine=sqlite_engine,
        slack=slack,
        tmp_path=tmp_path,
    )
    info = json.loads(as_json.stdout)
    assert info["destinations_now"] == ["slack:#ai-policy", "slack:#semis", "slack:#jp-policy"]
    assert [row["destination"] for row in info["outbox"]] == info["destinations_now"]
    assert info["default_channel_used"] is False

    missing = govwatch(
        "routes", "explain", "999", engine=sqlite_engine, slack=slack, tmp_path=tmp_path
    )
    assert missing.returncode == 1
    assert "No publication 999" in missing.stderr
