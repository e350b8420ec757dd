"""Measure the distributed mode: 1, 2 and 4 ``govwatch worker`` processes on govsim.

    .venv/bin/python benchmarks/workers.py --sources 2000 --workers 1 2 4

For each worker count, in a fresh PostgreSQL schema (``--database``, default the local
test server): start govsim (``/work/shared/govsim`` or ``--govsim-dir``) with N sources,
start the worker processes, queue one crawl per source (the queue calls the scheduler
makes), and wait until every source has a recorded run. Then publish 2 new items in 10
sources, queue every source again, and compare what was stored and alerted with govsim's
ground truth. Prints, per worker count: throughput (sources/s over both rounds), worker
CPU-seconds per source (from /proc), the largest queue lag seen, items lost / duplicated
and alerts lost / duplicated. Figures go to docs/scaling.md with this command.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
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

from crawler.outcomes import FAILED_OUTCOMES
from crawler.service.queue import defer_crawl, make_app
from storage.cluster import ensure_queue_schema, queue_state
from storage.db import make_engine, transaction, upgrade
from storage.models import AlertOutbox, CrawlRun, Publication

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=16, help="jobs per worker")
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--govsim-dir", type=Path, default=Path("/work/shared/govsim"))
    args = parser.parse_args()
    sys.path.insert(0, str(args.govsim_dir))
    import benchlib  # the simulator's own helpers

    print(f"govsim {args.sources} sources; worker concurrency {args.concurrency}")
    for count in args.workers:
        sim = benchlib.GovSim(args.sources, seed=1)
        try:
            print(measure(sim, benchlib, args, count), flush=True)
        finally:
            sim.stop()


def measure(sim: Any, benchlib: Any, args: argparse.Namespace, workers: int) -> str:
    schema = f"gw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(args.database, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{args.database}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(engine)
        ensure_queue_schema(engine)
        workdir = Path(tempfile.mkdtemp())
        sources = [source_for(entry) for entry in sim.sources]
        _write_config(workdir, sources)
        env = {
            **os.environ,
            "GOVWATCH_SOURCES": str(workdir / "sources.yaml"),
            "GOVWATCH_CONFIG": str(workdir / "govwatch.yaml"),
            "GOVWATCH_DATABASE_URL": url,
        }
        env.pop("SLACK_BOT_TOKEN", None)  # alerts go to the console (stdout, discarded)
        for n in range(workers):
            with (workdir / f"worker{n}.err").open("wb") as err:
                processes.append(
                    subprocess.Popen(  # noqa: S603 - our own command line
                        [sys.executable, "-m", "crawler", "worker", "--concurrency",
                         str(args.concurrency)],
                        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
                    )
                )  # fmt: skip
        ids = [source.id for source in sources]
        started = time.perf_counter()
        lag1 = _round(engine, ids, expected_runs=1)
        chooser = random.Random(7)  # noqa: S311 - a repeatable choice, not a secret
        published = chooser.sample([s["id"] for s in sim.sources], 10)
        before = _publication_ids(engine)
        sim.publish(published, 2)
        lag2 = _round(engine, ids, expected_runs=2)
        wall = time.perf_counter() - started
        cpu = sum(_cpu_seconds(process.pid) for process in processes)
        truth = {
            f"{k}-{item['id']}"
            for k in published
            for item in benchlib.http("GET", f"{sim.base}/__items?source={k}")[:2]
        }
        lost, duplicated, alerts_lost, alerts_dup = _against_truth(engine, before, truth, benchlib)
        failed = _failed_runs(engine)
        return (
            f"{workers} worker(s): {2 * len(ids) / wall:.1f} sources/s "
            f"({2 * len(ids)} crawls in {wall:.1f} s), {cpu / (2 * len(ids)) * 1000:.1f} "
            f"CPU-ms/source, max queue lag {max(lag1, lag2):.1f} s; new items "
            f"{len(truth) - lost}/{len(truth)} found, {lost} lost, {duplicated} duplicated; "
            f"alerts {alerts_lost} lost, {alerts_dup} duplicated; failed runs {failed}"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _write_config(workdir: Path, sources: list[Any]) -> None:
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


def _round(engine: Any, ids: list[str], expected_runs: int) -> float:
    """Queue a crawl of every source; wait until each has ``expected_runs`` finished runs."""

    async def queue_all() -> None:
        app = make_app(engine)
        async with app.open_async():
            for source_id in ids:
                await defer_crawl(app, source_id)

    asyncio.run(queue_all())
    worst = 0.0
    while True:
        state = queue_state(engine, 10.0)
        if state is not None and state.lag_seconds is not None:
            worst = max(worst, state.lag_seconds)
        with transaction(engine) as session:
            done = session.scalar(
                select(func.count()).select_from(CrawlRun).where(CrawlRun.finished_at.isnot(None))
            )
        if (done or 0) >= expected_runs * len(ids):
            return worst
        time.sleep(0.5)


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


def _failed_runs(engine: Any) -> int:
    with transaction(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(CrawlRun)
                .where(CrawlRun.outcome.in_(sorted(FAILED_OUTCOMES)))
            )
            or 0
        )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process, from /proc (before it is stopped)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


if __name__ == "__main__":
    main()
