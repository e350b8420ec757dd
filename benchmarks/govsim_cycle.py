"""Measure govwatch on govsim, the polling workload the peers were measured on.

    .venv/bin/python benchmarks/govsim_cycle.py --sources 500 --cycles 5

Starts govsim (../shared/govsim, $GOVSIM_DIR or --govsim-dir) with N sources of eight
kinds, declares one govwatch source per simulated source (feeds, and list pages with
selectors), and runs in one long-lived process, like a daemon would:

1. a baseline crawl of every source;
2. ``--cycles`` unchanged cycles: wall and CPU seconds per cycle, 304s, body bytes;
3. a publish round (2 new items in each of 10 sources), then one cycle: new items found
   (compared with govsim's ground truth), false items, publish → stored seconds.

Prints one table; figures go to docs/performance.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crawler.runner import CrawlOptions, crawl_sources
from crawler.service.reactor import run_on_reactor
from crawler.sources import SourceConfig
from storage.db import ready_engine, transaction
from storage.models import AlertOutbox, Publication

# The govsim page layouts and time zones, as `make bench` declares them (benchmarks/bench.py).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import SELECTORS, TIMEZONES

# govsim is one host; real sources are many. Per-host politeness limits would serialise the
# whole benchmark on 127.0.0.1, so they are lifted here (and only here).
BENCH_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "ROBOTSTXT_OBEY": False,
    "RETRY_TIMES": 0,
}


def source_for(sim: dict[str, Any]) -> SourceConfig:
    kind = sim["kind"]
    fields: dict[str, Any] = {
        "id": f"xx_govsim_{sim['id']}",
        "name": f"govsim {sim['id']} ({kind})",
        "kind": "list_page" if kind.startswith("html") else "feed",
        "urls": [sim["url"]],
        "publisher": "govsim",
        "country": "US",
        "language": sim["lang"],
        "timezone": TIMEZONES[sim["lang"]],
        "allow_private_network": True,
        "expect": {"min_items": 1},
    }
    if kind in SELECTORS:
        fields["list"] = SELECTORS[kind]
    return SourceConfig.model_validate(fields)


def cycle(sources: list[SourceConfig], engine: Any) -> tuple[float, float, list[Any]]:
    wall, cpu = time.perf_counter(), time.process_time()
    options = CrawlOptions(settings=BENCH_SETTINGS)
    summaries = run_on_reactor(crawl_sources(sources, engine=engine, options=options))
    return time.perf_counter() - wall, time.process_time() - cpu, summaries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--govsim-dir", type=Path, default=None, help="default: as bench.py")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench import find_govsim  # the same search as `make bench`

    args.govsim_dir = find_govsim(str(args.govsim_dir) if args.govsim_dir else None)
    if args.govsim_dir is None:
        sys.exit("govsim not found: pass --govsim-dir PATH or set GOVSIM_DIR")
    sys.path.insert(0, str(args.govsim_dir))
    import benchlib  # the simulator's own helpers (start/stop, stats)

    sim = benchlib.GovSim(args.sources, seed=1)
    try:
        run(sim, benchlib, args)
    finally:
        sim.stop()


def run(sim: Any, benchlib: Any, args: argparse.Namespace) -> None:
    sources = [source_for(entry) for entry in sim.sources]
    engine = ready_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    wall, cpu, summaries = cycle(sources, engine)
    failed = [s for s in summaries if s.failed]
    print(
        f"baseline: {len(sources)} sources, {sum(s.items_parsed for s in summaries)} items, "
        f"{len(failed)} failed, {wall:.2f} s wall, {cpu:.2f} CPU-s"
    )
    for summary in failed[:5]:
        print(f"  {summary.source_id}: {summary.error}")
    walls, cpus, not_modified, body = [], [], [], []
    for _ in range(args.cycles):
        sim.reset()
        wall, cpu, _summaries = cycle(sources, engine)
        stats = sim.stats()
        walls.append(wall)
        cpus.append(cpu)
        not_modified.append(stats["by_status"].get("304", {}).get("requests", 0))
        body.append(stats["body_bytes"])
    chooser = random.Random(7)  # noqa: S311 - a repeatable choice, not a secret
    published_sources = chooser.sample([s["id"] for s in sim.sources], 10)
    before = _stored_ids(engine)
    published_at = time.perf_counter()
    sim.publish(published_sources, 2)
    wall, cpu, summaries = cycle(sources, engine)
    found_after = time.perf_counter() - published_at
    new_titles = [p.title for p in _stored(engine) if p.id not in before]
    truth = {
        f"{k}-{i}"
        for k in published_sources
        for i in [item["id"] for item in benchlib.http("GET", f"{sim.base}/__items?source={k}")[:2]]
    }
    keys = {
        "-".join(benchlib.ITEM_KEY.search(t).groups())
        for t in new_titles
        if benchlib.ITEM_KEY.search(t)
    }
    with transaction(engine) as session:
        alerts = len(session.scalars(select(AlertOutbox)).all())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"unchanged cycle (median of {args.cycles}): {statistics.median(walls):.2f} s wall, "
        f"{statistics.median(cpus):.2f} CPU-s; 304s {statistics.median(not_modified)}"
        f"/{len(sources)}; body {statistics.median(body) / 1024:.0f} KB"
    )
    print(
        f"publish round: {len(keys & truth)}/{len(truth)} new items found, "
        f"{len(keys - truth)} false items, {alerts} alerts queued, "
        f"publish→stored {found_after:.2f} s (one cycle after publishing)"
    )
    print(f"peak RSS of this process: {rss:.0f} MB")


def _stored(engine: Any) -> list[Publication]:
    with transaction(engine) as session:
        return list(session.scalars(select(Publication)))


def _stored_ids(engine: Any) -> set[int]:
    return {p.id for p in _stored(engine)}


if __name__ == "__main__":
    main()
