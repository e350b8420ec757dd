"""What a crawl costs to start, and what batching sources that are due together saves.

    .venv/bin/python benchmarks/scheduler_startup.py --sources 200 --repeat 3

The scheduler hands every source that falls due within ``scheduler.batch_window`` to one
``crawl_sources`` call (one Scrapy crawl). This measures, in one long-lived process like the
daemon, N local feed sources crawled (a) as one batch and (b) as N separate
``crawl_sources`` calls, 16 at a time, which is what one crawl per job would do. The feeds
are served by a separate process, so CPU seconds are govwatch's own. Dry runs (no database)
isolate the crawl machinery; ``--database`` adds a temporary SQLite file.

Prints one table; figures go to docs/operations.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.runner import CrawlOptions, crawl_sources  # noqa: E402
from crawler.service.reactor import run_on_reactor  # noqa: E402 - after the path set-up
from crawler.sources import SourceConfig  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402

SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,  # one local host stands for many sites
    "ROBOTSTXT_OBEY": False,
    "RETRY_TIMES": 0,
}
PARALLEL_SEPARATE = 16


def serve(count: int) -> None:
    """Child process: serve ``count`` small RSS feeds and print the base URL."""
    from tests.servers.pages import PageServer, Route
    from tests.spiders.test_feed_spider import rss, sample

    with PageServer() as server:
        for n in range(count):
            body = rss([sample(1 + n % 27), sample(1 + (n + 1) % 27)])
            server.route(f"/feed/{n}.xml", Route(body, content_type="application/rss+xml"))
        print(server.base_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


def sources_for(base_url: str, count: int) -> list[SourceConfig]:
    return [
        SourceConfig.model_validate(
            {
                "id": f"xx_bench_{n}",
                "name": f"Bench {n}",
                "kind": "feed",
                "urls": [f"{base_url}/feed/{n}.xml"],
                "publisher": "Bench",
                "country": "US",
                "language": "en",
                "allow_private_network": True,
            }
        )
        for n in range(count)
    ]


async def batched(sources: list[SourceConfig], engine: Any) -> None:
    await crawl_sources(sources, engine=engine, options=CrawlOptions(settings=SETTINGS))


async def separately(sources: list[SourceConfig], engine: Any) -> None:
    slots = asyncio.Semaphore(PARALLEL_SEPARATE)

    async def one(source: SourceConfig) -> None:
        async with slots:
            await crawl_sources([source], engine=engine, options=CrawlOptions(settings=SETTINGS))

    await asyncio.gather(*(one(source) for source in sources))


def measure(mode: Any, sources: list[SourceConfig], engine: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    run_on_reactor(mode(sources, engine), timeout=600)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", action="store_true", help="store runs in SQLite")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    server = subprocess.Popen(  # noqa: S603 - this script itself, no outside input
        [sys.executable, __file__, "--serve", str(args.sources)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None  # noqa: S101 - set by Popen above
        sources = sources_for(server.stdout.readline().strip(), args.sources)
        engine = None
        if args.database:
            engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
            upgrade(engine)
        measure(batched, sources[:4], engine)  # warm-up: imports, first reactor work
        results = {}
        for name, mode in (("one batch", batched), (f"{args.sources} crawls", separately)):
            runs = [measure(mode, sources, engine) for _ in range(args.repeat)]
            results[name] = (
                statistics.median(wall for wall, _ in runs),
                statistics.median(cpu for _, cpu in runs),
            )
    finally:
        server.communicate(input="", timeout=30)
    print(f"{args.sources} local feed sources, median of {args.repeat}, "
          f"{'SQLite' if args.database else 'dry run'}:")  # fmt: skip
    print(f"{'mode':<16}{'wall s':>10}{'CPU s':>10}{'CPU ms/source':>16}")
    for name, (wall, cpu) in results.items():
        print(f"{name:<16}{wall:>10.2f}{cpu:>10.2f}{1000 * cpu / args.sources:>16.1f}")
    (batch_wall, batch_cpu), (each_wall, each_cpu) = results.values()
    print(
        f"start-up cost per extra crawl: {1000 * (each_cpu - batch_cpu) / args.sources:.1f} "
        f"CPU ms ({1000 * (each_wall - batch_wall) / args.sources:.1f} wall ms)"
    )


if __name__ == "__main__":
    main()
