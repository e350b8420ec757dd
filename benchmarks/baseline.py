"""CPU and wall time of a baseline: N new publications stored silently (no alerts).

    .venv/bin/python benchmarks/baseline.py                       # 10,000 items, SQLite
    .venv/bin/python benchmarks/baseline.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/baseline.py --items 2000 --modes per-item,batch --batch 20,500

The items go through the store pipeline's own code (:mod:`crawler.pipelines.store`), with a
run opened per source as the runner opens it, on a fresh SQLite file (removed afterwards) or,
with ``--database-url``, in a throwaway schema of that PostgreSQL database (dropped
afterwards). Modes:

- ``batch``: what the pipeline does now: waiting items are written in batches
  (:func:`crawler.pipelines.store.store_batch`), one transaction per batch; the items of
  all sources, source after source, in chunks of ``--batch`` items, e.g. 20 (one feed page
  per transaction, the worst case) and 500 (the pipeline's cap, pages of many sources);
- ``per-item``: the earlier path, kept as the pipeline's fallback when a batch fails
  (:func:`crawler.pipelines.store.store_one`): one transaction per item.

Only the storing is timed (items are built before the clock starts): CPU-s from
``time.process_time`` (this process, including the SQLite library; PostgreSQL's own
server CPU is not included) and wall seconds. Figures are printed, never asserted; the
machine is shared, so compare modes measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.items import PublicationItem  # noqa: E402 - after the path set-up
from crawler.pipelines import store  # noqa: E402
from crawler.runs import RunState  # noqa: E402
from crawler.sources import SourceConfig  # noqa: E402
from storage.db import make_engine, transaction, upgrade  # noqa: E402
from storage.models import AlertOutbox, DocumentKey, Publication  # noqa: E402
from storage.runs import start_run  # noqa: E402
from storage.sources import sync_sources  # noqa: E402

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def source(index: int) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "id": f"xx_bench_{index:04d}",
            "name": f"Bench source {index}",
            "kind": "feed",
            "urls": [f"https://agency{index}.example/feed.xml"],
            "publisher": f"Agency {index}",
            "country": "US",
            "language": "en",
        }
    )


def items_of(config: SourceConfig, index: int, count: int) -> list[PublicationItem]:
    """``count`` distinct items as the normalize pipeline leaves them (guid, link, date)."""
    return [
        PublicationItem(
            source_id=config.id,
            url=f"https://www.agency{index}.example/news/{number}",
            title=f"Agency {index} announces measure {number}",
            native_id=f"tag:agency{index}.example,2026:{number}",
            published=NOW - timedelta(hours=number),
            language="en",
            country="US",
            publisher=config.publisher,
            doc_type="press_release",
            summary=f"Summary of measure {number} of agency {index}.",
            topics=[],
        )
        for number in range(count)
    ]


def open_runs(engine: Engine, configs: list[SourceConfig]) -> list[RunState]:
    """One baseline run per source, opened as the runner opens them."""
    states = [RunState(config, engine=engine, is_baseline=True) for config in configs]
    with transaction(engine) as session:
        sync_sources(session, [(config.id, config.name) for config in configs])
        for state in states:
            state.run_id = start_run(session, state.source.id, is_baseline=True)
    return states


def store_per_item(work: list[tuple[RunState, PublicationItem]], _batch: int) -> None:
    for state, item in work:
        store.store_one(state, item, ())


def store_batched(work: list[tuple[RunState, PublicationItem]], batch: int) -> None:
    for start in range(0, len(work), batch):
        store.store_batch([(state, item, ()) for state, item in work[start : start + batch]])


MODES: dict[str, Callable[[list[tuple[RunState, PublicationItem]], int], None]] = {
    "per-item": store_per_item,
    "batch": store_batched,
}


@contextmanager
def fresh_database(database_url: str | None) -> Iterator[Engine]:
    """A fresh SQLite file, or a throwaway schema on the PostgreSQL server; removed after."""
    if database_url is None:
        with tempfile.TemporaryDirectory(prefix="gw-baseline-") as directory:
            engine = make_engine(f"sqlite:///{Path(directory) / 'bench.sqlite3'}")
            upgrade(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    schema = f"gw_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in database_url else "?"
    engine = make_engine(f"{database_url}{separator}options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure(
    mode: str, batch: int, items: int, sources: int, database_url: str | None
) -> tuple[float, float, tuple[int, int, int], tuple[int, int]]:
    per_source = items // sources
    configs = [source(index) for index in range(sources)]
    work = [items_of(config, index, per_source) for index, config in enumerate(configs)]
    with fresh_database(database_url) as engine:
        states = open_runs(engine, configs)
        pending = [
            (state, item) for state, items_ in zip(states, work, strict=True) for item in items_
        ]
        cpu, wall = time.process_time(), time.perf_counter()
        MODES[mode](pending, batch)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        with transaction(engine) as session:
            rows = (
                int(session.scalar(select(func.count()).select_from(Publication)) or 0),
                int(session.scalar(select(func.count()).select_from(DocumentKey)) or 0),
                int(session.scalar(select(func.count()).select_from(AlertOutbox)) or 0),
            )
        counted = (
            sum(state.items_new for state in states),
            sum(state.items_duplicate for state in states),
        )
    return cpu, wall, rows, counted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--sources", type=int, default=500, help="items spread over sources")
    parser.add_argument("--modes", default="batch", help="comma-separated: batch, per-item")
    parser.add_argument("--batch", default="20,500", help="comma-separated batch sizes")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (else a SQLite file)")
    args = parser.parse_args()
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"baseline: {args.items} items over {args.sources} sources, {backend}")
    print(f"{'mode':<10} {'batch':>6} {'CPU-s':>8} {'wall s':>8}  rows (pub/keys/outbox), new/dup")
    for mode in args.modes.split(","):
        sizes = [int(size) for size in args.batch.split(",")] if mode == "batch" else [1]
        for size in sizes:
            cpu, wall, rows, counted = measure(
                mode, size, args.items, args.sources, args.database_url
            )
            print(f"{mode:<10} {size:>6} {cpu:>8.2f} {wall:>8.2f}  {rows}, {counted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
