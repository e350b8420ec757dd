"""Run crawls of configured sources and record one run per source.

:func:`crawl_sources` is the single entry point used by ``govwatch crawl``, ``check``,
the demo and the scheduler: it opens a run per source (baseline flag, stored validators),
runs the source's spider through one shared :class:`AsyncCrawlerRunner`, then judges and
records the outcome and keeps the new validators only if everything parsed was stored.
It must be awaited on the reactor's loop (:mod:`crawler.reactor`).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings
from sqlalchemy import Engine

from crawler import settings as crawl_settings
from crawler.errors import ConfigError, FetchError
from crawler.items import Publication
from crawler.runs import Router, RunState
from crawler.sources import SourceConfig
from spiders.base import SourceSpider
from spiders.feed import FeedSpider
from spiders.json_api import JsonApiSpider
from spiders.list_page import ListPageSpider
from storage import queries
from storage.db import transaction

logger = logging.getLogger(__name__)

GENERIC_SPIDERS: dict[str, type[SourceSpider]] = {
    "feed": FeedSpider,
    "list_page": ListPageSpider,
    "json_api": JsonApiSpider,
}
SUCCESS_OUTCOMES_KEEPING_VALIDATORS = frozenset({"ok", "not_modified"})


@dataclass(frozen=True)
class CrawlOptions:
    """How a pass runs: ``dry_run`` for ``check`` (no writes), ``backfill`` to alert on a
    baseline and read ``max_pages``, ``settings`` to override Scrapy settings (tests)."""

    dry_run: bool = False
    backfill: bool = False
    alerts: bool = True
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunSummary:
    """What one source run did; ``items`` is filled on dry runs only."""

    source_id: str
    outcome: str
    http_statuses: dict[str, int]
    items_parsed: int
    items_new: int
    items_invalid: int
    error: str | None
    run_id: int | None
    is_baseline: bool
    duration: float
    items: list[Publication] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        from crawler.runs import FAILED_OUTCOMES

        return self.outcome in FAILED_OUTCOMES


def spider_class_for(source: SourceConfig) -> type[SourceSpider]:
    """The generic spider for the source's kind, or its own module in ``spiders/``."""
    if source.kind in GENERIC_SPIDERS:
        return GENERIC_SPIDERS[source.kind]
    module_name = f"spiders.{source.spider_name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"{source.id}: kind spider needs a module {module_name}") from exc
    for _, candidate in inspect.getmembers(module, inspect.isclass):
        if issubclass(candidate, SourceSpider) and candidate.name == source.spider_name:
            return candidate
    raise ConfigError(f"{source.id}: {module_name} has no spider named {source.spider_name!r}")


def scrapy_settings(overrides: dict[str, Any]) -> Settings:
    settings = Settings()
    settings.setmodule(crawl_settings, priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


async def crawl_sources(
    sources: list[SourceConfig],
    *,
    engine: Engine | None,
    options: CrawlOptions = CrawlOptions(),
    router: Router | None = None,
) -> list[RunSummary]:
    """Crawl each source once, concurrently; one recorded run per source."""
    runner = AsyncCrawlerRunner(scrapy_settings(options.settings))
    return list(
        await asyncio.gather(
            *(_crawl_one(runner, source, engine, router, options) for source in sources)
        )
    )


async def _crawl_one(
    runner: AsyncCrawlerRunner,
    source: SourceConfig,
    engine: Engine | None,
    router: Router | None,
    options: CrawlOptions,
) -> RunSummary:
    started = time.monotonic()
    state = RunState(
        source,
        engine=engine,
        router=router,
        dry_run=options.dry_run or engine is None,
        backfill=options.backfill,
        alerts_enabled=options.alerts,
    )
    writing = engine if not state.dry_run else None
    if writing is not None:
        _open_run(writing, state)
    spider_cls = spider_class_for(source)
    try:
        await runner.crawl(spider_cls, source=source, run=state)
    except Exception as exc:
        logger.exception("Crawl of %s crashed", source.id, extra={"source_id": source.id})
        state.fail(FetchError(source.id, None, f"the crawl crashed: {type(exc).__name__}: {exc}"))
    record = state.record()
    if writing is not None and state.run_id is not None:
        with transaction(writing) as session:
            queries.finish_run(session, state.run_id, record)
            if record.outcome in SUCCESS_OUTCOMES_KEEPING_VALIDATORS:
                queries.save_validators(session, source.id, state.new_validators)
    summary = RunSummary(
        source_id=source.id,
        outcome=record.outcome,
        http_statuses=record.http_statuses,
        items_parsed=record.items_parsed,
        items_new=record.items_new,
        items_invalid=record.items_invalid,
        error=record.error,
        run_id=state.run_id,
        is_baseline=state.is_baseline,
        duration=time.monotonic() - started,
        items=state.items,
    )
    _log_run(summary)
    return summary


def _open_run(engine: Engine, state: RunState) -> None:
    with transaction(engine) as session:
        queries.sync_sources(session, [(state.source.id, state.source.name)])
        state.is_baseline = queries.is_baseline(session, state.source.id)
        state.validators = queries.load_validators(session, state.source.id)
        state.run_id = queries.start_run(session, state.source.id, is_baseline=state.is_baseline)


def _log_run(summary: RunSummary) -> None:
    level = logging.WARNING if summary.failed else logging.INFO
    logger.log(
        level,
        "Crawled %s: %s, %d items, %d new (%.2fs)%s",
        summary.source_id,
        summary.outcome,
        summary.items_parsed,
        summary.items_new,
        summary.duration,
        f": {summary.error}" if summary.error else "",
        extra={
            "source_id": summary.source_id,
            "run_id": summary.run_id,
            "outcome": summary.outcome,
            "http_statuses": summary.http_statuses,
            "items": summary.items_parsed,
            "new": summary.items_new,
            "duration": round(summary.duration, 3),
        },
    )
