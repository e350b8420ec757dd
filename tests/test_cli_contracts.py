"""The CLI's promises to tools and people: JSON Lines on stdout, one line for bad input,
Ctrl-C recorded as ``interrupted``. Real processes against real local HTTP servers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample
from tests.test_cli import govwatch


def feed_source(tmp_path: Path, url: str, source_id: str = "us_test_feed") -> Path:
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"""{source_id}:
  name: Test feed of the Example Agency
  kind: feed
  urls: ["{url}"]
  publisher: Example Agency
  country: US
  language: en
  timezone: America/New_York
  allow_private_network: true
""",
        encoding="utf-8",
    )
    return config


def json_lines(stdout: str) -> list[dict[str, object]]:
    """Every stdout line parsed; a line that is not one JSON object fails the test."""
    parsed = []
    for line in stdout.splitlines():
        value = json.loads(line)
        assert isinstance(value, dict), line
        parsed.append(value)
    return parsed


def test_every_documented_json_output_is_pure_json_lines(pages: PageServer, tmp_path: Path) -> None:
    url = pages.route(
        "/feed.xml", Route(rss([sample(2), sample(1)]), content_type="application/rss+xml")
    )
    # Slack is configured but unreachable (a closed port): alerts stay pending, which
    # gives `alerts pending --json` rows to print; the console also shows alerts.
    app_config = tmp_path / "govwatch.yaml"
    app_config.write_text(
        "slack:\n  base_url: http://127.0.0.1:9/api/\n  default_channel: '#news'\n"
        "  http_retries: 0\n  http_timeout: 2\n",
        encoding="utf-8",
    )
    env = {
        "GOVWATCH_SOURCES": str(feed_source(tmp_path, url)),
        "GOVWATCH_CONFIG": str(app_config),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
    }
    crawl = govwatch(
        "--log-level", "INFO", "crawl", "--all", "--backfill", "--json", cwd=tmp_path, env=env
    )
    runs = json_lines(crawl.stdout)
    assert [run["source"] for run in runs] == ["us_test_feed"]
    assert runs[0]["new"] == 2
    assert "queued in the outbox" in crawl.stderr  # the delivery notice is on stderr too

    pending = govwatch("alerts", "pending", "--json", cwd=tmp_path, env=env)
    rows = json_lines(pending.stdout)
    assert rows, pending.stderr
    assert all(row["status"] in ("pending", "failed") for row in rows)

    publication_id = rows[0]["publication_id"]
    explain = govwatch("routes", "explain", str(publication_id), "--json", cwd=tmp_path, env=env)
    (explanation,) = json_lines(explain.stdout)
    assert explanation["publication_id"] == publication_id

    for command in (["sources", "--json"], ["status", "--json"]):
        result = govwatch(*command, cwd=tmp_path, env=env)
        assert json_lines(result.stdout), command

    check = govwatch("check", "us_test_feed", "--json", cwd=tmp_path, env=env)
    assert len(json_lines(check.stdout)) == 2


BAD_GLOBAL_OPTIONS = [
    pytest.param(["--log-level", "bogus"], {}, "--log-level", id="log-level"),
    pytest.param(["--database", "foo://x"], {}, "--database", id="database-unknown-kind"),
    pytest.param(["--database", "::"], {}, "--database", id="database-unparsable"),
    pytest.param([], {"GOVWATCH_DATABASE_URL": "foo://x"}, "database URL", id="database-env"),
    pytest.param(["--config", "does/not/exist.yaml"], {}, "exist.yaml", id="config-missing"),
    pytest.param(["--config", "{bad"], {}, "{bad", id="config-not-yaml"),
    pytest.param(["-v", "--verbose", "--no-such-option"], {}, "no-such-option", id="unknown"),
]


@pytest.mark.parametrize(("options", "env", "named"), BAD_GLOBAL_OPTIONS)
def test_a_bad_global_option_is_one_clear_message_never_a_traceback(
    tmp_path: Path, options: list[str], env: dict[str, str], named: str
) -> None:
    (tmp_path / "{bad").write_text("us_x: [unclosed\n", encoding="utf-8")
    result = govwatch(*options, "status", cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert named in result.stderr
    assert result.stdout == ""


def test_version_and_help_without_type_noise(tmp_path: Path) -> None:
    version = govwatch("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.startswith("govwatch ")
    assert version.stdout.split()[1][0].isdigit()
    help_text = govwatch("crawl", "--help", cwd=tmp_path, env={"COLUMNS": "100"}).stdout
    assert "--json" in help_text
    assert "<bool>" not in help_text
    assert "<list[str]>" not in help_text
    assert "--install-completion" in govwatch("--help", cwd=tmp_path).stdout


def test_a_backfill_that_alerted_is_not_called_a_baseline(
    pages: PageServer, tmp_path: Path
) -> None:
    url = pages.route("/feed.xml", Route(rss([sample(1)]), content_type="application/rss+xml"))
    env = {"GOVWATCH_SOURCES": str(feed_source(tmp_path, url))}
    result = govwatch("crawl", "--all", "--backfill", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "New: Policy item 1" in result.stdout
    assert "baseline" not in result.stdout


def test_ctrl_c_during_a_crawl_records_the_run_as_interrupted(
    pages: PageServer, tmp_path: Path
) -> None:
    url = pages.route(
        "/slow.xml", Route(rss([sample(1)]), content_type="application/rss+xml", delay=30)
    )
    database = tmp_path / "gw.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", "crawl", "us_test_feed"],
        cwd=tmp_path,
        env={
            **os.environ,
            "GOVWATCH_SOURCES": str(feed_source(tmp_path, url)),
            "GOVWATCH_DATABASE_URL": f"sqlite:///{database}",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not pages.hits("/slow.xml"):  # the request is in flight: the run is open
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the crawl never reached the server"
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "Traceback" not in stderr
    # (A slow machine may also have written a progress line; nothing else is allowed.)
    lines = [line for line in stderr.splitlines() if "sources done" not in line]
    assert lines == [
        "govwatch crawl: interrupted (Ctrl-C); 1 unfinished run(s) recorded as `interrupted`."
    ], stderr
    with sqlite3.connect(database) as connection:
        outcomes = connection.execute("SELECT outcome FROM crawl_runs").fetchall()
    assert outcomes == [("interrupted",)]


BAD_COMMAND_INPUT = [
    ["check", "us_nsf_news", "--url", "notaurl"],
    ["check", "us_nsf_news", "--url", "ftp://example.gov/feed"],
    ["check", "us_nsf_news", "--pages", "0"],
    ["check"],
    ["crawl"],
    ["crawl", "--all", "--bogus"],
    ["routes", "explain", "abc"],
    ["routes", "explain", "99999"],
    ["alerts", "retry"],
    ["alerts", "retry", "notanumber"],
    ["alerts", "pending", "--failed", "yes"],
    ["db", "migrate"],
    ["sources", "--json", "extra"],
    ["nosuchcommand"],
]


@pytest.mark.parametrize("command", BAD_COMMAND_INPUT, ids=" ".join)
def test_bad_input_to_a_documented_command_is_a_message_never_a_traceback(
    tmp_path: Path, command: list[str]
) -> None:
    result = govwatch(*command, cwd=tmp_path)
    assert result.returncode in (1, 2), result.stdout + result.stderr
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr + result.stdout
