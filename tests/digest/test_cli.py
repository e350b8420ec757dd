"""``govwatch digest build|list|show|approve|publish``, run as the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import make_engine, upgrade
from tests.digest.conftest import XSS_TITLE, store_fixtures

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[dict[str, str], Path]:
    url = f"sqlite:///{tmp_path / 'gw.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    store_fixtures(engine)
    engine.dispose()
    out = tmp_path / "out"
    config = tmp_path / "govwatch.yaml"
    config.write_text(f"digest:\n  output_dir: {out}\n  channel: '#digest'\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "SLACK_BOT_TOKEN"}
    env |= {"GOVWATCH_DATABASE_URL": url, "GOVWATCH_CONFIG": str(config)}
    return env, out


def govwatch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler", "digest", *args],
        capture_output=True, text=True, check=False, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip


def records(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_build_show_approve_publish_as_json_lines(setup: tuple[dict[str, str], Path]) -> None:
    env, out = setup
    (built,) = records(govwatch(env, "build", "--week", "2026-W48", "--no-fetch", "--json"))
    assert built["created"] is True
    assert built["label"] == "2026-W48"
    assert built["added"] == 5
    (empty,) = records(govwatch(env, "build", "--week", "2026-W40", "--no-fetch", "--json"))
    assert empty["id"] is None
    listed = records(govwatch(env, "list", "--json"))
    assert [(r["label"], r["state"], r["items"]) for r in listed] == [("2026-W48", "draft", 5)]
    head, *items = records(govwatch(env, "show", str(built["id"]), "--json"))
    assert head["state"] == "draft"
    assert [item["country"] for item in items] == ["DE", "JP", "JP", "KR", "US"]
    assert items[-1]["title"] == XSS_TITLE
    refused = govwatch(env, "publish", str(built["id"]))
    assert refused.returncode == 1
    assert "approve it before publishing" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert govwatch(env, "approve", str(built["id"]), "--by", "Ada").returncode == 0
    (first,) = records(govwatch(env, "publish", str(built["id"]), "--json"))
    assert first["newly_published"] is True
    assert first["messages_queued"] == 4
    (second,) = records(govwatch(env, "publish", str(built["id"]), "--json"))
    assert second["newly_published"] is False
    assert second["messages_queued"] == 0
    assert (out / "digest-2026-W48.html").is_file()
    assert "&lt;script&gt;" in (out / "digest-2026-W48.html").read_text(encoding="utf-8")


def test_a_bad_week_is_one_line(setup: tuple[dict[str, str], Path]) -> None:
    env, _ = setup
    result = govwatch(env, "build", "--week", "2026-48")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "govwatch: configuration error: --week '2026-48' is not an ISO week like 2026-W48"
    ]
