"""Every command that cannot open its database says so in one line, and ``status`` never
creates a database (a mistyped path used to become a new, empty, "healthy" one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import _PG_REASON, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]


def govwatch(*args: str, cwd: Path, database: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler", "--database", database, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "GOVWATCH_SOURCES": str(ROOT / "config" / "sources.yaml")},
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_status_on_a_mistyped_path_says_it_does_not_exist_and_creates_nothing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "typo" / "govwatch.sqlite3"
    result = govwatch("status", cwd=tmp_path, database=f"sqlite:///{missing}")
    assert result.returncode == 1
    assert one_line(result) == (
        f"govwatch: database error: the database {missing} does not exist (check --database / "
        "GOVWATCH_DATABASE_URL; `govwatch crawl` or `govwatch db upgrade` create it)"
    )
    assert not missing.exists()
    assert not missing.parent.exists()
    db_status = govwatch("db", "status", cwd=tmp_path, database=f"sqlite:///{missing}")
    assert db_status.returncode == 1
    assert "does not exist" in one_line(db_status)
    assert not missing.parent.exists()


@pytest.mark.parametrize("command", [["status"], ["crawl", "us_nsf_news"], ["db", "upgrade"]])
def test_a_sqlite_path_that_cannot_be_opened_is_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = govwatch(*command, cwd=tmp_path, database=f"sqlite:///{blocker}/govwatch.sqlite3")
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("govwatch: database error: ")
    assert f"{blocker}/govwatch.sqlite3" in line


def test_a_database_file_sqlite_cannot_open_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "is-a-folder.sqlite3"
    folder.mkdir()
    result = govwatch("crawl", "us_nsf_news", cwd=tmp_path, database=f"sqlite:///{folder}")
    assert result.returncode == 1
    assert one_line(result) == (
        f"govwatch: database error: cannot open the database sqlite:///{folder}: "
        "unable to open database file"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("foo://x", "govwatch does not support 'foo' databases (foo://x)"),
        ("not a url", "cannot read the database URL"),
        ("mysql://u:pw@127.0.0.1/x", "govwatch does not support 'mysql' databases"),
    ],
)
@pytest.mark.parametrize("command", [["status"], ["crawl", "us_nsf_news"], ["db", "status"]])
def test_a_url_govwatch_cannot_use_is_one_line(
    tmp_path: Path, url: str, expected: str, command: list[str]
) -> None:
    result = govwatch(*command, cwd=tmp_path, database=url)
    assert result.returncode == 2  # a URL that can never work is a usage error
    line = one_line(result)
    assert line.startswith("govwatch: --database: ")
    assert expected in line
    assert "pw" not in line
    assert "sqlite:///path/to/govwatch.sqlite3 or postgresql+psycopg://user@host/db" in line


@pytest.mark.parametrize("command", [["status"], ["run"], ["db", "upgrade"]])
def test_an_unreachable_server_is_one_line(tmp_path: Path, command: list[str]) -> None:
    result = govwatch(*command, cwd=tmp_path, database="postgres://gw:s3cret@127.0.0.1:9/gw")
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith(
        "govwatch: database error: cannot reach the database "
        "postgresql+psycopg://gw:***@127.0.0.1:9/gw: "
    )
    assert "s3cret" not in line


def test_a_postgres_scheme_url_is_accepted(tmp_path: Path) -> None:
    if _PG_REASON:
        pytest.skip(_PG_REASON)
    url = POSTGRES_URL.replace("postgresql+psycopg://", "postgres://", 1)
    result = govwatch("db", "status", cwd=tmp_path, database=url)
    assert "Traceback" not in result.stderr, result.stderr
    assert "Database postgresql+psycopg://" in result.stdout
