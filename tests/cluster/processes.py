"""A cluster of real ``govwatch`` processes on one database: schedulers and workers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from tests.scheduler.daemon import DaemonProcess


class RoleProcess(DaemonProcess):
    """``govwatch <args>`` (e.g. ``run --role scheduler`` or ``worker``) as a subprocess."""

    def __init__(self, workdir: Path, database_url: str, name: str, args: list[str]) -> None:
        super().__init__(workdir, database_url, name)
        self.args = args

    def start(self) -> RoleProcess:
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crawler", *self.args],
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=err,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Cluster:
    """Schedulers and workers sharing one config and one database."""

    def __init__(self, workdir: Path, database_url: str) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.processes: list[RoleProcess] = []
        self.files = DaemonProcess(workdir, database_url, "files")

    def write(self, sources: dict[str, Any], config: dict[str, Any]) -> None:
        self.files.write(sources, config)

    def scheduler(self, name: str = "scheduler") -> RoleProcess:
        return self._start(name, ["run", "--role", "scheduler"])

    def worker(self, name: str, concurrency: int = 4) -> RoleProcess:
        return self._start(name, ["worker", "--concurrency", str(concurrency)])

    def _start(self, name: str, args: list[str]) -> RoleProcess:
        process = RoleProcess(self.workdir, self.database_url, name, args)
        self.processes.append(process)
        return process.start()

    def kill_all(self) -> None:
        for process in self.processes:
            process.kill()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log()[-4000:]}" for p in self.processes)


def job_statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        if connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
            return {}
        rows = connection.execute(
            text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")
        ).all()
    return {str(status): int(count) for status, count in rows}
