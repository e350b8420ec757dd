"""The small things a daily user meets: did-you-mean, one error line, tables that read well."""

from __future__ import annotations

import json
import socket
import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from crawler.service.lease import LEASE_NAME
from storage.db import make_engine, transaction
from storage.leases import touch_lease, write_lease
from storage.models import Source, utcnow
from storage.sources import sync_sources
from tests.test_cli import govwatch


def test_an_unknown_source_id_suggests_the_near_one(tmp_path: Path) -> None:
    result = govwatch("crawl", "jp_mext_new", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "govwatch: unknown source id(s): jp_mext_new; did you mean jp_mext_news?; "
        "`govwatch sources` lists them"
    )
    far = govwatch("check", "xx_nowhere_at_all", cwd=tmp_path)
    assert far.returncode == 2
    assert "did you mean" not in far.stderr


def test_check_of_an_unreachable_source_is_one_line_and_no_empty_table(tmp_path: Path) -> None:
    result = govwatch("check", "us_nsf_news", "--url", "http://127.0.0.1:9/feed", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("govwatch check: fetch_error: ")


def test_sources_table_names_each_source_and_keeps_each_url_on_one_line(tmp_path: Path) -> None:
    result = govwatch("sources", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    configured = [json.loads(line) for line in govwatch("sources", "--json", cwd=tmp_path).stdout.splitlines()]  # fmt: skip
    rows = result.stdout.splitlines()
    for source in configured:
        [row] = [line for line in rows if line.startswith(f"│ {source['id']} ")]
        assert "http" in row, f"{source['id']}: the endpoint starts on its own row"
        assert source["publisher"].split()[0] in row
        assert source["name"].split()[0] in row
    continuation = [line for line in rows if line.startswith("│  ")]
    assert not any("http" in line or "://" in line for line in continuation)


def test_status_shows_no_next_run_while_no_scheduler_runs(tmp_path: Path) -> None:
    database = tmp_path / "gw.sqlite3"
    assert govwatch("db", "upgrade", cwd=tmp_path).returncode == 0
    engine = make_engine(f"sqlite:///{database}")
    with transaction(engine) as session:
        sync_sources(session, [("us_nsf_news", "NSF")])
        session.execute(
            update(Source)
            .where(Source.id == "us_nsf_news")
            .values(next_run_at=utcnow() + timedelta(minutes=13))
        )

    def next_run_cell() -> str:
        result = govwatch("status", cwd=tmp_path)
        [row] = [line for line in result.stdout.splitlines() if line.startswith("│ us_nsf_news ")]
        return row.split("│")[7].strip()

    assert next_run_cell() == "-"  # never started
    with transaction(engine) as session:
        write_lease(session, LEASE_NAME, hostname=socket.gethostname(), pid=1)
    assert next_run_cell().startswith("in 1")  # running: "in 12m" / "in 13m"
    with transaction(engine) as session:
        touch_lease(session, LEASE_NAME, 1, stopped_at=utcnow())
    assert next_run_cell() == "-"
    status_json = govwatch("status", "--json", cwd=tmp_path).stdout.splitlines()
    nsf = next(json.loads(line) for line in status_json if '"us_nsf_news"' in line)
    assert nsf["next_run_at"] is not None  # the plan is kept; only the table hides it


def test_db_status_prints_the_alembic_revision(tmp_path: Path) -> None:
    missing = govwatch("db", "status", cwd=tmp_path)  # never creates the database
    assert missing.returncode == 1
    assert not (tmp_path / "gw.sqlite3").exists()
    sqlite3.connect(tmp_path / "gw.sqlite3").close()  # an empty database
    fresh = govwatch("db", "status", cwd=tmp_path)
    assert fresh.returncode == 1
    assert "has no schema yet; the newest is 0" in fresh.stdout
    assert govwatch("db", "upgrade", cwd=tmp_path).returncode == 0
    current = govwatch("db", "status", cwd=tmp_path)
    assert current.returncode == 0
    assert "is at the current schema (revision 0" in current.stdout
