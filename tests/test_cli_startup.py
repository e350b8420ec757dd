"""Start-up: each command imports what it runs, not the whole stack.

``govwatch --help`` once cost over a second of CPU because the CLI imported Scrapy,
Twisted, SQLAlchemy and the Slack/Apprise stacks for every command (docs/performance.md,
"Start-up: what lazy imports bought"). These tests run the real command in a fresh
interpreter with ``-X importtime`` and read the modules it imported: a heavy package that
comes back into a light command's import set fails here. They assert module sets, never
timings (the machines are shared).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_config import GOOD as SOURCES

ROOT = Path(__file__).resolve().parent.parent

# The crawl engine, the alert and digest stacks, the web server and the distributed mode:
# none of them is needed to print help, list sources or show health.
CRAWL_AND_ALERTS = (
    "scrapy",
    "twisted",
    "slack_sdk",
    "aiohttp",
    "apprise",
    "trafilatura",
    "dateparser",
    "uvicorn",
    "starlette",
    "procrastinate",
    "apscheduler",
    "spiders",
    "crawler.runner",
    "crawler.alerts",
    "crawler.digest",
    "crawler.web",
)
DATABASE = ("sqlalchemy", "alembic", "storage.db", "storage.models")
# Help reads no configuration: the YAML reader comes with the commands that read a file.
CONFIG_READER = ("yaml", "crawler.config_loader")
# Opening a current SQLite database needs neither Alembic (migrations: upgrades only) nor
# PostgreSQL's dialect.
SCHEMA_TOOLS = ("alembic", "mako", "sqlalchemy.dialects.postgresql")
# What the daemon loads only when it does the thing: extracting a detail page's text for a
# digest (trafilatura and what it pulls in), rendering a digest (Jinja2), upgrading the
# schema (Alembic), posting to Slack or an Apprise service, talking to PostgreSQL, serving
# the web app (off unless govwatch.yaml's ``web: {enabled: true}``).
DAEMON_ON_DEMAND = (
    "uvicorn",
    "starlette",
    "trafilatura",
    "courlan",
    "htmldate",
    "jinja2",
    "slack_sdk",
    "apprise",
    *SCHEMA_TOOLS,
)
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")


def python(
    args: list[str], tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter with ``args``, in ``tmp_path``, the checkout on its path (exit 0
    asserted)."""
    result = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def imported_by(args: list[str], tmp_path: Path) -> set[str]:
    """The modules ``govwatch ARGS`` imports, read from ``-X importtime``."""
    env = {
        **os.environ,
        "GOVWATCH_SOURCES": str(tmp_path / "sources.yaml"),
        "GOVWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'govwatch.sqlite3'}",
    }
    result = python(["-X", "importtime", "-m", "crawler", *args], tmp_path, env)
    return {
        match.group(1) for line in result.stderr.splitlines() if (match := _IMPORT_LINE.match(line))
    }


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The packages of ``packages`` (or modules under them) that appear in ``modules``."""
    return sorted(
        package
        for package in packages
        if any(name == package or name.startswith(package + ".") for name in modules)
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [["--help"], ["check", "--help"], ["crawl", "--help"], ["run", "--help"], ["--version"]],
    ids=" ".join,
)
def test_help_loads_neither_the_crawl_stack_nor_the_database(
    args: list[str], workdir: Path
) -> None:
    modules = imported_by(args, workdir)
    assert "crawler.cli" in modules  # the reading of -X importtime works
    assert loaded(modules, CRAWL_AND_ALERTS + DATABASE + CONFIG_READER) == []


@pytest.mark.parametrize("args", [["sources"], ["sources", "--json"]], ids=" ".join)
def test_sources_reads_the_configuration_only(args: list[str], workdir: Path) -> None:
    modules = imported_by(args, workdir)
    assert "crawler.config_loader" in modules
    assert loaded(modules, CRAWL_AND_ALERTS + DATABASE) == []


@pytest.mark.parametrize("args", [["status"], ["status", "--json"]], ids=" ".join)
def test_status_reads_the_database_without_the_crawl_stack(args: list[str], workdir: Path) -> None:
    imported_by(["db", "upgrade"], workdir)  # status never creates a database
    modules = imported_by(args, workdir)
    assert "sqlalchemy" in modules  # status does read the database
    assert loaded(modules, CRAWL_AND_ALERTS + SCHEMA_TOOLS) == []


def imported_in(code: str, tmp_path: Path) -> set[str]:
    """``sys.modules`` after running ``code`` in a fresh interpreter, without govwatch's or
    Slack's environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "GOVWATCH_"))
    }
    code += "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = python(["-c", code], tmp_path, env)
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_the_daemon_imports_its_occasional_stacks_when_it_uses_them(tmp_path: Path) -> None:
    modules = imported_in("import crawler.service.daemon", tmp_path)
    assert {"crawler.digest.key_points", "crawler.digest.render"} <= modules
    assert {"crawler.alerts.sinks.slack", "crawler.alerts.sinks.apprise"} <= modules
    assert loaded(modules, DAEMON_ON_DEMAND) == []


def test_sinks_without_slack_or_apprise_configured_load_neither(tmp_path: Path) -> None:
    modules = imported_in(
        "from crawler.app_config import read_app_config\n"
        "from crawler.alerts.sinks import enabled_sinks\n"
        "assert [sink.name for sink in enabled_sinks(read_app_config())] == ['console']",
        tmp_path,
    )
    assert loaded(modules, ("slack_sdk", "apprise")) == []


def test_a_current_database_is_opened_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'govwatch.sqlite3'}"
    upgraded = imported_in(f"from storage.db import ready_engine\nready_engine({url!r})", tmp_path)
    assert "alembic" in upgraded  # a new file is upgraded, by Alembic
    modules = imported_in(f"from storage.db import ready_engine\nready_engine({url!r})", tmp_path)
    assert loaded(modules, SCHEMA_TOOLS) == []


def test_a_crawl_starts_no_scrapy_remote_control(tmp_path: Path) -> None:
    """Scrapy ≥ 2.19 starts a code-running HTTP server per crawl unless told not to; govwatch
    does not load it (nor aiohttp's server, ~11 MB of the daemon's memory)."""
    modules = imported_in(
        "from tests.crawling import crawl, make_source\n"
        "runs = crawl(make_source(urls=['http://127.0.0.1:9/feed.xml']), None)\n"
        "assert [run.outcome for run in runs] == ['fetch_error'], runs",
        tmp_path,
    )
    assert "scrapy.core.engine" in modules  # a crawl did run
    assert loaded(modules, ("scrapy.extensions.remote_control", "aiohttp")) == []
