"""The ``govwatch`` command as users and tooling run it: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample

ROOT = Path(__file__).resolve().parent.parent


def govwatch(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={
            **os.environ,
            "GOVWATCH_SOURCES": str(ROOT / "config" / "sources.yaml"),
            "GOVWATCH_DATABASE_URL": f"sqlite:///{cwd / 'gw.sqlite3'}",
            **(env or {}),
        },
        timeout=120,
    )


def test_check_json_prints_one_object_per_item(pages: PageServer, tmp_path: Path) -> None:
    url = pages.route(
        "/feed.xml", Route(rss([sample(2), sample(1)]), content_type="application/rss+xml")
    )
    result = govwatch("check", "us_nsf_news", "--url", url, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    assert lines[0] == {
        "source": "us_nsf_news",
        "doc_id": "https://www.example.gov/?p=1002",
        "title": "Policy item 2 & more",
        "url": "https://www.example.gov/news/item-2",
        "published": "2026-03-02T18:01:52+00:00",
        "language": "en",
        "country": "US",
        "publisher": "U.S. National Science Foundation",
        "doc_type": "news",
        "summary": "Summary 2",
        "attachments": [],
        "topics": lines[0]["topics"],
    }
    assert not (tmp_path / "gw.sqlite3").exists(), "check must not write"


def test_check_exits_non_zero_with_a_clear_message_on_a_broken_page(
    pages: PageServer, tmp_path: Path
) -> None:
    url = pages.route("/list", Route(b"<html><body><p>We moved!</p></body></html>"))
    result = govwatch("check", "cn_beijing_policy", "--url", url, cwd=tmp_path)
    assert result.returncode == 1
    assert "no rows matched 'ul.default_news > li'" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_unreachable_url(tmp_path: Path) -> None:
    result = govwatch("check", "us_nsf_news", "--url", "http://127.0.0.1:9/feed", cwd=tmp_path)
    assert result.returncode == 1
    assert "fetch_error" in result.stderr


def test_check_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    result = govwatch("check", "xx_nowhere", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown source id(s): xx_nowhere" in result.stderr


def test_sources_json_lists_every_source(tmp_path: Path) -> None:
    result = govwatch("sources", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    ids = [row["id"] for row in rows]
    assert "jp_mext_news" in ids
    mext = rows[ids.index("jp_mext_news")]
    assert set(mext) >= {"id", "name", "kind", "country", "language", "schedule", "urls"}
    assert (mext["country"], mext["language"], mext["kind"]) == ("JP", "ja", "spider")
    assert mext["urls"] == ["https://www.mext.go.jp/b_menu/news/index.rdf"]
    nsf = rows[ids.index("us_nsf_news")]
    assert (nsf["country"], nsf["language"], nsf["kind"]) == ("US", "en", "feed")


def test_crawl_prints_a_summary_and_alerts_new_items(pages: PageServer, tmp_path: Path) -> None:
    items = [sample(1)]
    url = pages.route("/feed.xml", Route(lambda: rss(items), content_type="application/rss+xml"))
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"""us_test_feed:
  name: Test feed
  kind: feed
  urls: ["{url}"]
  publisher: Test Publisher
  country: US
  language: en
  allow_private_network: true
""",
        encoding="utf-8",
    )
    env = {"GOVWATCH_SOURCES": str(config)}
    first = govwatch("crawl", "--all", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "us_test_feed" in first.stdout
    assert "baseline" in first.stdout
    items.insert(0, sample(2))
    second = govwatch("crawl", "us_test_feed", "--json", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "New: Policy item 2 & more" in second.stderr  # alerts never mix into JSON Lines
    (run,) = [json.loads(line) for line in second.stdout.splitlines()]
    assert (run["source"], run["outcome"], run["new"]) == ("us_test_feed", "ok", 1)


def test_crawl_of_a_failing_source_exits_1(pages: PageServer, tmp_path: Path) -> None:
    url = pages.route("/feed.xml", Route(b"oops", status=500))
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"""us_test_feed:
  name: Test feed
  kind: feed
  urls: ["{url}"]
  publisher: P
  country: US
  language: en
  allow_private_network: true
""",
        encoding="utf-8",
    )
    result = govwatch("crawl", "--all", cwd=tmp_path, env={"GOVWATCH_SOURCES": str(config)})
    assert result.returncode == 1
    assert "HTTP 500" in result.stdout


@pytest.mark.timeout(120)
def test_demo_runs_offline_and_shows_alerts(tmp_path: Path) -> None:
    result = govwatch("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("New: ") == 5
    assert "baseline" in result.stdout
    assert result.stderr == "", "the demo's imitation sites answer every page it asks for"
    assert (tmp_path / "var" / "demo.sqlite3").exists()


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    url = "postgresql+psycopg://gw:s3cret@127.0.0.1:9/govwatch"
    result = govwatch("crawl", "us_nsf_news", cwd=tmp_path, env={"GOVWATCH_DATABASE_URL": url})
    assert result.returncode == 1
    assert "govwatch: database error: cannot reach the database" in result.stderr
    assert "gw:***@127.0.0.1:9" in result.stderr
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr
