"""Prometheus ``/metrics``, computed from the database at scrape time.

Nothing is counted in process memory: a scrape reads the tables, so the numbers are the same
whichever process serves them (the web app or the daemon's ``/healthz`` port) and survive
restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from storage import publications_read as read
from storage.db import transaction

LATENCY_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)
ALERT_STATUS_NAMES = {"sent": "delivered"}


class GovwatchCollector(Collector):
    """Reads runs, new items, alerts and source states each time Prometheus scrapes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        with transaction(self.engine) as session:
            runs = read.runs_by_source_and_outcome(session)
            new_items = read.new_items_by_source(session)
            alerts = read.alerts_by_kind_and_status(session)
            latencies = read.delivery_latencies(session)
            states = read.sources_by_state(session)
        run_family = CounterMetricFamily(
            "govwatch_runs",
            "Crawl runs recorded, by source and outcome.",
            labels=["source", "outcome"],
        )
        for source, outcome, count in runs:
            run_family.add_metric([source, outcome], count)
        yield run_family
        items = CounterMetricFamily(
            "govwatch_new_items",
            "New publications found (baseline crawls excluded).",
            labels=["source"],
        )
        for source, count in new_items:
            items.add_metric([source], count)
        yield items
        alert_family = GaugeMetricFamily(
            "govwatch_alerts",
            "Alerts in the outbox by kind and status (pending, delivered, failed).",
            labels=["kind", "status"],
        )
        for kind, status, count in alerts:
            alert_family.add_metric([kind, ALERT_STATUS_NAMES.get(status, status)], count)
        yield alert_family
        yield _latency_histogram(latencies)
        state_family = GaugeMetricFamily(
            "govwatch_sources", "Sources by health state.", labels=["state"]
        )
        for state, count in states:
            state_family.add_metric([state], count)
        yield state_family
        yield from _queue_metrics(self.engine)


def _queue_metrics(engine: Engine) -> Iterator[Metric]:
    """The crawl queue and its workers, in the distributed mode only (docs/scaling.md)."""
    from storage.cluster import STALLED_AFTER, queue_state

    queue = queue_state(engine, STALLED_AFTER)
    if queue is None:
        return
    jobs = GaugeMetricFamily(
        "govwatch_crawl_queue_jobs", "Queued crawl jobs by status.", labels=["status"]
    )
    for status, count in (("waiting", queue.waiting), ("running", queue.running),
                          ("failed", queue.failed)):  # fmt: skip
        jobs.add_metric([status], count)
    yield jobs
    yield GaugeMetricFamily(
        "govwatch_crawl_queue_lag_seconds",
        "How long the oldest due crawl has waited for a worker (0: none waiting).",
        value=queue.lag_seconds or 0.0,
    )
    yield GaugeMetricFamily(
        "govwatch_workers_alive",
        "Workers whose heartbeat is recent.",
        value=sum(1 for worker in queue.workers if worker.alive),
    )


def _latency_histogram(latencies: list[float]) -> HistogramMetricFamily:
    buckets: list[tuple[str, float]] = []
    for bound in LATENCY_BUCKETS:
        buckets.append((repr(bound), float(sum(1 for value in latencies if value <= bound))))
    buckets.append(("+Inf", float(len(latencies))))
    return HistogramMetricFamily(
        "govwatch_alert_delivery_latency_seconds",
        "Seconds from an alert being queued to its delivery.",
        buckets=buckets,
        sum_value=sum(latencies),
    )


def metrics_registry(engine: Engine) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(GovwatchCollector(engine))
    return registry


def render_metrics(registry: CollectorRegistry) -> bytes:
    """The text exposition format (``text/plain; version=0.0.4``)."""
    return generate_latest(registry)


def healthz_metrics(engine: Engine) -> Callable[[], Awaitable[bytes]]:
    """``/metrics`` for the daemon's ``/healthz`` port: read off the event loop's thread."""
    registry = metrics_registry(engine)

    async def scrape() -> bytes:
        return await asyncio.get_running_loop().run_in_executor(None, render_metrics, registry)

    return scrape
