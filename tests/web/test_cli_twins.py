"""``govwatch publications list|search|show`` and ``govwatch web``, run as the real command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from storage.db import make_engine, upgrade
from tests.web.conftest import SEED, XSS_TITLE, seed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seeded_file(tmp_path: Path) -> tuple[str, dict[str, int]]:
    url = f"sqlite:///{tmp_path / 'gw.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    ids = seed(engine).ids
    engine.dispose()
    return url, ids


def govwatch(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={
            **os.environ,
            "GOVWATCH_DATABASE_URL": url,
            "GOVWATCH_SOURCES": str(ROOT / "config" / "sources.yaml"),
        },
        timeout=120,
    )


def lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_list_json_is_newest_first_and_filters(seeded_file: tuple[str, dict[str, int]]) -> None:
    url, ids = seeded_file
    records = lines(govwatch(url, "publications", "list", "--json"))
    assert {record["id"] for record in records} == set(ids.values())
    assert records[0]["title"] == "FTC announces rule on AI transparency"
    assert set(records[0]) >= {
        "id",
        "source",
        "title",
        "url",
        "published",
        "topics",
        "first_seen_at",
    }
    japanese = lines(govwatch(url, "publications", "list", "--language", "ja", "--json"))
    assert {record["title"] for record in japanese} == {
        entry["title"] for entry in SEED if entry["language"] == "ja"
    }


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("反도체", None),
        ("반도체", "반도체 수출 규제 강화 방안 발표"),
        ("指导", "关于人工智能产业发展的指导意见"),
    ],
)
def test_search_json(
    seeded_file: tuple[str, dict[str, int]], query: str, title: str | None
) -> None:
    url, _ids = seeded_file
    records = lines(govwatch(url, "publications", "search", query, "--json"))
    assert [record["title"] for record in records] == ([title] if title else [])


def test_show_json_includes_where_the_alert_went(seeded_file: tuple[str, dict[str, int]]) -> None:
    url, ids = seeded_file
    (record,) = lines(
        govwatch(
            url, "publications", "show", str(ids["FTC announces rule on AI transparency"]), "--json"
        )
    )
    assert record["attachments"][0]["url"] == "https://www.ftc.gov/rule.pdf"  # type: ignore[index]
    (alert,) = record["alerts"]  # type: ignore[misc]
    assert alert["destination"] == "console"
    assert alert["status"] == "sent"
    assert alert["sent_at"] is not None


def test_show_text_prints_markup_titles_literally(seeded_file: tuple[str, dict[str, int]]) -> None:
    url, ids = seeded_file
    result = govwatch(url, "publications", "show", str(ids[XSS_TITLE]))
    assert result.returncode == 0
    assert XSS_TITLE in result.stdout


def test_unknown_id_and_bad_input_are_one_clear_line(
    seeded_file: tuple[str, dict[str, int]],
) -> None:
    url, _ids = seeded_file
    missing = govwatch(url, "publications", "show", "999999")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "No publication 999999 in the database."
    bad_date = govwatch(url, "publications", "list", "--since", "last week")
    assert bad_date.returncode == 2
    assert "is not a date like 2026-01-31" in bad_date.stderr
    assert "Traceback" not in missing.stderr + bad_date.stderr


def test_web_beyond_loopback_without_a_password_refuses_to_start(tmp_path: Path) -> None:
    env_less = {
        key: value for key, value in os.environ.items() if not key.startswith("GOVWATCH_WEB")
    }
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "web", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=120,
        env=env_less | {"GOVWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "must have a login" in result.stderr
    assert "Traceback" not in result.stderr


def test_govwatch_web_serves_the_stored_publications(
    seeded_file: tuple[str, dict[str, int]],
) -> None:
    url, _ids = seeded_file
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", "web", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GOVWATCH_DATABASE_URL": url,
             "GOVWATCH_SOURCES": str(ROOT / "config" / "sources.yaml")},
    )  # fmt: skip
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/?q=%E5%8D%8A%E5%B0%8E%E4%BD%93", timeout=5
                ) as answer:
                    body = answer.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "半導体産業の新たな戦略について" in body, (
            process.stderr.read() if process.poll() else ""
        )
    finally:
        process.terminate()
        process.wait(30)
