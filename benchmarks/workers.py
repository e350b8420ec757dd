"""Measure the distributed mode: 1, 2 and 4 ``govwatch worker`` processes on govsim.

    .venv/bin/python benchmarks/workers.py --sources 2000 --workers 1 2 4

Starts govsim (``/work/shared/govsim`` or ``--govsim-dir``) with N sources, spread over N
loopback hosts (benchmarks/loopback_hosts.py, as bench.py does: real sources live on many
sites; ``--hosts 1`` puts them all on govsim's 127.0.0.1, where the cluster-wide host gate
makes every worker wait for the same few slots), in a fresh PostgreSQL schema
(``--database``, default the local test server; dropped at the end).

The baseline (every source's first crawl, which stores every item it finds) is done once, in
this process, and is not measured: it is a one-time cost of the storage path
(docs/performance.md). Then, for each worker count: start the worker processes and wait
until they send heartbeats (start-up is not a crawl's cost), publish 2 new items in 10
sources, queue one crawl of every source (as a scheduler restart would: all at once), wait
until every source has one more finished run, stop the workers, and compare what was stored
and alerted with govsim's ground truth. Prints per worker count: throughput (sources/s),
worker CPU per source (from /proc, over the round), the largest queue lag seen (the oldest
queued crawl not yet started; with everything queued at once it is the time to drain the
queue), new items lost / duplicated, alerts lost / duplicated, failed runs, extra runs (a
source crawled twice in a round) and jobs retried as stalled; and, to read them by: the
CPU of a registered worker with no job (over 10 s before the round: its fixed cost), how
busy the whole machine was during the round (/proc/stat), the CPU of govsim and the
loopback proxy, which share the cores with the workers, the rows written per crawl
(PostgreSQL's table statistics, queue included) and the CPU of the PostgreSQL backends
serving the run (found by ``application_name``; needs the server on this machine and read
access to its processes' /proc entries). Figures go to
docs/scaling.md with this command. On a server with autovacuum off, the queue is vacuumed
right after a round is queued, as the scheduler does after such a burst
(``storage.cluster.tend_queue``). ``--profile DIR`` records worker 0 with py-spy (installed
in the venv by hand); ``BENCH_KEEP=1`` keeps the workers' logs in the temp directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from govsim_cycle import BENCH_SETTINGS, source_for
from loopback_hosts import addresses

from crawler.app_config import AppConfig, read_app_config
from crawler.outcomes import FAILED_OUTCOMES
from crawler.runner import CrawlOptions, crawl_sources
from crawler.service.cluster_schedule import TEND_AFTER
from crawler.service.queue import defer_crawl, make_app
from crawler.service.reactor import run_on_reactor
from storage.cluster import (
    STALLED_AFTER,
    autovacuum_is_off,
    ensure_queue_schema,
    queue_state,
    tend_queue,
)
from storage.db import make_engine, transaction, upgrade
from storage.models import AlertOutbox, CrawlRun, Publication

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=16, help="jobs per worker")
    parser.add_argument(
        "--hosts", type=int, default=0, help="loopback hosts (default: one per source)"
    )
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--govsim-dir", type=Path, default=Path("/work/shared/govsim"))
    parser.add_argument(
        "--profile", type=Path, default=None,
        help="directory: record worker 0 of each count with py-spy (raw stacks; extra CPU)",
    )  # fmt: skip
    args = parser.parse_args()
    sys.path.insert(0, str(args.govsim_dir))
    import benchlib  # the simulator's own helpers

    hosts = args.hosts or args.sources
    print(
        f"govsim {args.sources} sources on {hosts} loopback host(s); worker concurrency "
        f"{args.concurrency}; {os.cpu_count()} CPUs; load average {_load()}",
        flush=True,
    )
    sim = benchlib.GovSim(args.sources, seed=1)
    proxy = _loopback_hosts(sim.port, hosts)
    schema = f"gw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(args.database, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    # application_name: the PostgreSQL backends serving this run can be told apart (their CPU)
    engine = make_engine(
        f"{args.database}?options=-csearch_path%3D{schema}&application_name={schema}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="gw-workers-bench-"))
    try:
        upgrade(engine)
        ensure_queue_schema(engine)
        sources = [source_for(entry) for entry in _spread(sim.sources, hosts)]
        config = _write_config(workdir, sources)
        started, cpu = time.perf_counter(), time.process_time()
        summaries = run_on_reactor(
            crawl_sources(
                sources,
                engine=engine,
                options=CrawlOptions(settings=BENCH_SETTINGS, app_config=config),
            )
        )
        print(
            f"baseline (in this process, not measured): {len(summaries)} sources, "
            f"{sum(s.items_parsed for s in summaries)} items, "
            f"{sum(1 for s in summaries if s.failed)} failed, "
            f"{time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu:.0f} CPU-s",
            flush=True,
        )
        bench = Bench(sim, benchlib, args, engine, workdir, [source.id for source in sources])
        bench.others = [sim.proc.pid] + ([proxy.pid] if proxy is not None else [])
        chooser = random.Random(7)  # noqa: S311 - a repeatable choice, not a secret
        for count in args.workers:
            published = chooser.sample([s["id"] for s in sim.sources], 10)
            for line in bench.measure(count, published):
                print(line, flush=True)
    finally:
        if proxy is not None:
            if proxy.stdin is not None:
                proxy.stdin.close()
            proxy.wait(timeout=30)
        sim.stop()
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)


def _loopback_hosts(port: int, hosts: int) -> subprocess.Popen[str] | None:
    """benchmarks/loopback_hosts.py in front of govsim (its CPU is not govwatch's)."""
    if hosts <= 1:
        return None
    proxy = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, str(ROOT / "benchmarks" / "loopback_hosts.py"),
         "--target", str(port), "--hosts", str(hosts)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    if proxy.stdout is not None:
        proxy.stdout.readline()  # "ready"
    return proxy


def _spread(entries: list[dict[str, Any]], hosts: int) -> list[dict[str, Any]]:
    """govsim's sources with their URLs moved to the loopback hosts, round robin."""
    if hosts <= 1:
        return entries
    names = addresses(hosts)
    return [
        {**e, "url": e["url"].replace("127.0.0.1", names[e["id"] % len(names)], 1)} for e in entries
    ]


class Bench:
    """One schema and one govsim; a polling round per worker count."""

    def __init__(
        self,
        sim: Any,
        benchlib: Any,
        args: argparse.Namespace,
        engine: Any,
        workdir: Path,
        ids: list[str],
    ) -> None:
        self.sim, self.benchlib, self.args = sim, benchlib, args
        self.engine, self.workdir, self.ids = engine, workdir, ids
        self.rounds = 1  # the baseline
        self.others: list[int] = []  # govsim and the proxy: their CPU is not govwatch's

    def measure(self, workers: int, published: list[int]) -> list[str]:
        env = {
            **os.environ,
            "GOVWATCH_SOURCES": str(self.workdir / "sources.yaml"),
            "GOVWATCH_CONFIG": str(self.workdir / "govwatch.yaml"),
            "GOVWATCH_DATABASE_URL": self.engine.url.render_as_string(hide_password=False),
        }
        env.pop("SLACK_BOT_TOKEN", None)  # alerts go to the console (stdout, discarded)
        logs = [self.workdir / f"workers{workers}-{n}.err" for n in range(workers)]
        processes: list[subprocess.Popen[bytes]] = []
        profiler: subprocess.Popen[bytes] | None = None
        try:
            for log in logs:
                with log.open("wb") as err:
                    processes.append(
                        subprocess.Popen(  # noqa: S603 - our own command line
                            [sys.executable, "-m", "crawler", "worker", "--concurrency",
                             str(self.args.concurrency)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
                        )
                    )  # fmt: skip
            _wait_for_workers(self.engine, workers)
            idle = _idle_cpu(processes)
            if self.args.profile is not None:
                self.args.profile.mkdir(parents=True, exist_ok=True)
                profiler = subprocess.Popen(  # noqa: S603 - our own command line
                    [str(Path(sys.executable).parent / "py-spy"), "record", "-f", "raw",
                     "-r", "100", "-o", str(self.args.profile / f"worker-{workers}.txt"),
                     "-p", str(processes[0].pid)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            before = _publication_ids(self.engine)
            self.sim.publish(published, 2)
            self.rounds += 1
            figures = _round(
                self.engine, processes, self.ids, expected_runs=self.rounds, others=self.others
            )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
            if profiler is not None:  # py-spy writes its file when the worker it records exits
                profiler.wait(timeout=60)
        truth = {
            f"{k}-{item['id']}"
            for k in published
            for item in self.benchlib.http("GET", f"{self.sim.base}/__items?source={k}")[:2]
        }
        lost, duplicated, alerts_lost, alerts_dup = _against_truth(
            self.engine, before, truth, self.benchlib
        )
        failed, extra = _runs(self.engine, len(self.ids) * self.rounds)
        retried = sum(log.read_text(errors="replace").count("Retrying the crawl") for log in logs)
        return [
            f"{workers} worker(s): {figures}; idle {idle:.0f} CPU-ms/s per worker; "
            f"load average {_load()}",
            f"  new items {len(truth) - lost}/{len(truth)} found, {lost} lost, "
            f"{duplicated} duplicated; alerts {alerts_lost} lost, {alerts_dup} duplicated; "
            f"failed runs {failed}; extra runs {extra}; jobs retried as stalled {retried}",
        ]


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _idle_cpu(processes: list[subprocess.Popen[bytes]], seconds: float = 10.0) -> float:
    """CPU-ms per second of one registered worker with no job (heartbeats, job polling,
    sweeps, alert dispatch): the fixed cost each worker process adds, whatever it crawls."""
    before = sum(_cpu_seconds(process.pid) for process in processes)
    time.sleep(seconds)
    spent = sum(_cpu_seconds(process.pid) for process in processes) - before
    return spent / seconds / len(processes) * 1000


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _rows_written(engine: Any) -> int:
    """Rows inserted, updated and deleted so far in the schema's tables (govwatch's and the
    queue's), from PostgreSQL's statistics: the write load a crawl puts on the database."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                    "FROM pg_stat_user_tables WHERE schemaname = current_schema()"
                )
            ).scalar_one()
        )


def _backend_cpu(engine: Any) -> dict[int, float]:
    """CPU so far of each PostgreSQL backend serving this run (workers, their pools and lock
    sessions, this process), by the ``application_name`` set on the run's URL. A backend
    that exits during a round takes its CPU with it, hence "at least"."""
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": engine.url.query["application_name"]},
        ).scalars()
        cpu = {}
        for pid in pids:
            with contextlib.suppress(OSError):  # gone since, or on another machine
                cpu[int(pid)] = _cpu_seconds(int(pid))
    return cpu


def _wait_for_workers(engine: Any, workers: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = queue_state(engine, STALLED_AFTER)
        if state is not None and sum(w.alive for w in state.workers) >= workers:
            return
        time.sleep(0.5)
    raise RuntimeError(f"{workers} worker(s) did not start within {timeout:.0f} s")


def _write_config(workdir: Path, sources: list[Any]) -> AppConfig:
    entries = {}
    for source in sources:
        entry = source.model_dump(mode="json", exclude_defaults=True)
        entries[entry.pop("id")] = entry
    (workdir / "sources.yaml").write_text(yaml.safe_dump(entries), encoding="utf-8")
    config = {
        "log_level": "WARNING",
        "scheduler": {"batch_window": 0.2, "dispatch_every": "2s",
                      "crawl_settings": BENCH_SETTINGS},
    }  # fmt: skip
    (workdir / "govwatch.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return read_app_config(workdir / "govwatch.yaml")


def _round(
    engine: Any,
    processes: list[subprocess.Popen[bytes]],
    ids: list[str],
    expected_runs: int,
    others: list[int],
) -> str:
    """Queue a crawl of every source, as a restart of the scheduler would, and wait until
    each source has ``expected_runs`` finished runs; its wall time, worker CPU and lag, and
    how busy the machine was (whose cores the workers share with govsim, the proxy,
    PostgreSQL, this process and whatever else runs)."""

    tends_queue = autovacuum_is_off(engine)

    async def queue_all() -> None:
        app = make_app(engine)
        async with app.open_async():
            for source_id in ids:
                await defer_crawl(app, source_id)
        if tends_queue and len(ids) >= TEND_AFTER:
            tend_queue(engine)  # as the scheduler does after such a burst (autovacuum off)

    cpu = sum(_cpu_seconds(process.pid) for process in processes)
    other_cpu = sum(_cpu_seconds(pid) for pid in others)
    machine = _machine_jiffies()
    rows = _rows_written(engine)
    backends = _backend_cpu(engine)
    started = time.perf_counter()
    asyncio.run(queue_all())
    queued = time.perf_counter() - started
    worst = 0.0
    while True:
        state = queue_state(engine, STALLED_AFTER)
        if state is not None and state.lag_seconds is not None:
            worst = max(worst, state.lag_seconds)
        with transaction(engine) as session:
            per_source = (
                select(CrawlRun.source_id)
                .where(CrawlRun.finished_at.isnot(None))
                .group_by(CrawlRun.source_id)
                .having(func.count() >= expected_runs)
                .subquery()
            )
            done = session.scalar(select(func.count()).select_from(per_source)) or 0
        if done >= len(ids):
            break
        time.sleep(0.5)
    wall = time.perf_counter() - started
    cpu = sum(_cpu_seconds(process.pid) for process in processes) - cpu
    other_cpu = sum(_cpu_seconds(pid) for pid in others) - other_cpu
    busy, total = (now - then for now, then in zip(_machine_jiffies(), machine, strict=True))
    time.sleep(1.0)  # PostgreSQL flushes its table statistics about once a second
    rows = _rows_written(engine) - rows
    db_cpu = sum(spent - backends.get(pid, 0.0) for pid, spent in _backend_cpu(engine).items())
    return (
        f"{len(ids) / wall:.1f} sources/s ({len(ids)} crawls in {wall:.1f} s; queued in "
        f"{queued:.1f} s), {cpu / len(ids) * 1000:.1f} worker CPU-ms/source, "
        f"max queue lag {worst:.1f} s; machine CPU {busy / max(total, 1):.0%} busy "
        f"({os.cpu_count()} cores), govsim + proxy {other_cpu:.0f} CPU-s; "
        f"{rows / len(ids):.1f} rows written per crawl; PostgreSQL backends at least "
        f"{db_cpu / len(ids) * 1000:.1f} CPU-ms/crawl"
    )


def _publication_ids(engine: Any) -> set[int]:
    with transaction(engine) as session:
        return set(session.scalars(select(Publication.id)))


def _against_truth(
    engine: Any, before: set[int], truth: set[str], benchlib: Any
) -> tuple[int, int, int, int]:
    with transaction(engine) as session:
        new = [p for p in session.scalars(select(Publication)) if p.id not in before]
        alerts = Counter(
            session.scalars(
                select(AlertOutbox.publication_id).where(AlertOutbox.kind == "publication")
            )
        )
    keys = Counter(
        "-".join(match.groups())
        for p in new
        if (match := benchlib.ITEM_KEY.search(p.title)) is not None
    )
    lost = len(truth - set(keys))
    duplicated = sum(count - 1 for count in keys.values()) + len(set(keys) - truth)
    alerted = {p.id for p in new}
    alerts_lost = sum(1 for pid in alerted if alerts.get(pid, 0) == 0)
    alerts_dup = sum(count - 1 for count in alerts.values() if count > 1)
    return lost, duplicated, alerts_lost, alerts_dup


def _runs(engine: Any, expected: int) -> tuple[int, int]:
    """Failed runs so far, and runs beyond one per source per round."""
    with transaction(engine) as session:
        failed = session.scalar(
            select(func.count())
            .select_from(CrawlRun)
            .where(CrawlRun.outcome.in_(sorted(FAILED_OUTCOMES)))
        )
        total = session.scalar(select(func.count()).select_from(CrawlRun))
    return failed or 0, (total or 0) - expected


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process, from /proc (before it is stopped)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


if __name__ == "__main__":
    main()
