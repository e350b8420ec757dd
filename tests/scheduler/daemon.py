"""Run ``govwatch run`` as users do, in a subprocess, against a temp database and config.

Tests wait for states in the database with :func:`wait_until` (a generous deadline that only
guards against hanging), never for fixed times.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import AlertOutbox, CrawlRun, SchedulerLease, Source

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# Local pages only: no politeness delays, no retries; quick, but no wall-clock assertions.
CRAWL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_TIMES": 0,
    "DOWNLOAD_TIMEOUT": 30,
    "ROBOTSTXT_OBEY": False,
}


def wait_until(predicate: Callable[[], T], what: str, timeout: float = 60.0) -> T:
    """Poll until ``predicate()`` is truthy and return it; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def feed_source(source_id: str, url: str, every: str = "1s", **fields: Any) -> dict[str, Any]:
    return {
        source_id: {
            "name": f"Test feed {source_id}",
            "kind": "feed",
            "urls": [url],
            "publisher": "Test Publisher",
            "country": "US",
            "language": "en",
            "allow_private_network": True,
            "schedule": {"every": every},
            **fields,
        }
    }


def app_config(**sections: dict[str, Any]) -> dict[str, Any]:
    """A service config for tests; ``sections`` override keys per section."""
    config: dict[str, Any] = {
        "log_level": "INFO",
        "health": {"failing_after": 2, "broken_after": 4, "max_backoff_factor": 2},
        "scheduler": {
            "startup_spread": "1s",
            "batch_window": 0.2,
            "dispatch_every": "1s",
            "shutdown_timeout": "30s",
            "misfire_grace": "30s",
            "crawl_settings": CRAWL_SETTINGS,
        },
    }
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values}
    return config


class DaemonProcess:
    """One ``govwatch run`` process with its own config files and log files."""

    def __init__(self, workdir: Path, database_url: str, name: str = "daemon") -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.name = name
        self.sources_path = workdir / "sources.yaml"
        self.config_path = workdir / "govwatch.yaml"
        self.stdout_path = workdir / f"{name}.out"
        self.stderr_path = workdir / f"{name}.err"
        self.process: subprocess.Popen[bytes] | None = None

    def write(self, sources: dict[str, Any], config: dict[str, Any] | None = None) -> None:
        self.sources_path.write_text(yaml.safe_dump(sources), encoding="utf-8")
        if config is not None:
            self.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "GOVWATCH_SOURCES": str(self.sources_path),
            "GOVWATCH_CONFIG": str(self.config_path),
            "GOVWATCH_DATABASE_URL": self.database_url,
        }

    def start(self) -> DaemonProcess:
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crawler", "run"],
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=err,
            )
        return self

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another ``govwatch`` command against the same config and database."""
        return subprocess.run(
            [sys.executable, "-m", "crawler", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def output(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def send(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout: float = 90) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{self.name} did not exit; log:\n{self.log()}") from exc

    def stop(self) -> int:
        self.send(signal.SIGTERM)
        return self.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def runs(engine: Engine, source_id: str) -> list[CrawlRun]:
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(CrawlRun).where(CrawlRun.source_id == source_id).order_by(CrawlRun.id)
            )
        )


def finished_runs(engine: Engine, source_id: str) -> list[CrawlRun]:
    return [run for run in runs(engine, source_id) if run.finished_at is not None]


def source_row(engine: Engine, source_id: str) -> Source | None:
    with transaction(engine) as session:
        return session.get(Source, source_id)


def state_of(engine: Engine, source_id: str) -> str | None:
    row = source_row(engine, source_id)
    return row.state if row else None


def ops_alerts(engine: Engine) -> list[AlertOutbox]:
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(AlertOutbox).where(AlertOutbox.kind == "ops").order_by(AlertOutbox.id)
            )
        )


def lease_pid(engine: Engine) -> int | None:
    with transaction(engine) as session:
        lease = session.get(SchedulerLease, "scheduler")
        return lease.pid if lease is not None and lease.stopped_at is None else None
