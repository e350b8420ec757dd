"""Run crawls of configured sources and record one run per source.

:func:`crawl_sources` is the single entry point used by ``govwatch crawl``, ``check``,
the demo and the scheduler: it opens a run per source (baseline flag, stored validators),
runs the source's spider through one shared :class:`AsyncCrawlerRunner`, settles moved
documents (:mod:`crawler.moves`), then judges and records the outcome and keeps the new
validators only if everything parsed was stored. Whatever is raised while crawling, each
run is recorded with an outcome (``error`` for an unexpected exception), never left open.
It must be awaited on the reactor's loop (:mod:`crawler.service.reactor`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawler import settings as crawl_settings
from crawler.alerts.router import ops_destination
from crawler.app_config import AppConfig, load_app_config
from crawler.errors import ConfigError, FetchError
from crawler.health import record_health
from crawler.items import PublicationItem
from crawler.layout_memory import layout_loader
from crawler.moves import settle_moves
from crawler.outcomes import COMPLETE_OUTCOMES
from crawler.pipelines.store import flush_pending
from crawler.runs import CrawlCrashed, RunState, StoreFailed
from crawler.sources import SourceConfig
from spiders.base import BatchSpider, SourceSpider
from spiders.kinds import spider_class
from storage.db import transaction
from storage.run_owners import owner_for
from storage.runs import RunRecord, finish_run, preload_runs, start_run
from storage.sources import baseline_states, load_all_validators, save_validators, sync_sources

logger = logging.getLogger(__name__)

SUCCESS_OUTCOMES_KEEPING_VALIDATORS = frozenset({"ok", "not_modified"})


@dataclass(frozen=True)
class CrawlOptions:
    """How a pass runs: ``dry_run`` for ``check`` (no writes), ``backfill`` to alert on a
    baseline and read ``max_pages``, ``settings`` to override Scrapy settings (tests)."""

    dry_run: bool = False
    backfill: bool = False
    alerts: bool = True
    settings: dict[str, Any] = field(default_factory=dict)
    app_config: AppConfig | None = None  # health thresholds, ops destination; else loaded
    suggest_layout: bool = False  # `check --suggest`: list pages also run the layout fallback
    # False when the caller keeps the ``sources`` rows current itself: the daemon writes
    # them at start and on reload, not in every crawl (an upsert per source per crawl).
    sync_sources: bool = True


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
    items: list[PublicationItem] = field(default_factory=list)
    items_duplicate: int = 0
    items_moved: int = 0
    repeated: int = 0  # entries repeated within one response (part of items_duplicate)
    unknown_types: dict[str, int] = field(default_factory=dict)  # type labels not mapped
    layout_suggestion: str | None = None  # selectors the layout fallback suggests (YAML)

    @property
    def failed(self) -> bool:
        from crawler.outcomes import FAILED_OUTCOMES

        return self.outcome in FAILED_OUTCOMES


def spider_class_for(source: SourceConfig) -> type[SourceSpider]:
    """The generic spider for the source's kind, or its own (``spiders/``, by name)."""
    return spider_class(source.spider_name)


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
) -> list[RunSummary]:
    """Crawl each source once; one recorded run per source.

    All sources go into one Scrapy crawl (a :class:`BatchSpider`), except that a source
    named twice (two racing passes) gets a second crawl, since a crawl holds a source once.
    """
    started = time.monotonic()
    states = [
        RunState(
            source,
            engine=engine,
            dry_run=options.dry_run or engine is None,
            backfill=options.backfill,
            alerts_enabled=options.alerts,
            suggest_layout=options.suggest_layout,
            layout_loader=layout_loader(engine, source.id) if engine is not None else None,
        )
        for source in sources
    ]
    if engine is not None and not options.dry_run:
        config = options.app_config or load_app_config()  # a bad file stops us before crawling
        _open_runs(engine, states, sync=options.sync_sources)
    settings = {"DOWNLOAD_SLOTS": download_slots(sources), **options.settings}
    try:
        runner = AsyncCrawlerRunner(scrapy_settings(settings))
        await asyncio.gather(
            *(_crawl_batch(runner, batch, options.app_config) for batch in _batches(states))
        )
    except Exception as exc:  # recorded on every run below, never an open run
        logger.exception("Crawling %d sources failed", len(states))
        for state in states:
            state.fail(CrawlCrashed(state.source.id, None, _crash_text(exc)))
    if engine is not None and not options.dry_run:
        for state in states:
            _settle(state, ops_destination(config))
    duration = time.monotonic() - started
    records = [(state, state.record()) for state in states]
    if engine is not None and not options.dry_run:
        with transaction(engine) as session:
            preload_runs(
                session,
                [state.run_id for state in states if state.run_id is not None],
                [state.source.id for state in states],
            )
            for state, record in records:
                _record_run(session, state, record, config)
    return [_summarize(state, record, duration) for state, record in records]


def download_slots(sources: list[SourceConfig]) -> dict[str, dict[str, int]]:
    """Per-host request concurrency for sources that ask for less than the default (a
    host shared by several sources gets the lowest any of them asks for)."""
    slots: dict[str, dict[str, int]] = {}
    for source in sources:
        if source.concurrency is None:
            continue
        for host in source.allowed_domains:
            current = slots.get(host, {}).get("concurrency", source.concurrency)
            slots[host] = {"concurrency": min(current, source.concurrency)}
    return slots


def _batches(states: list[RunState]) -> list[list[RunState]]:
    """Split so that no batch holds the same source twice (first, second, … occurrence)."""
    batches: list[list[RunState]] = []
    for state in states:
        batch = next((b for b in batches if all(s.source.id != state.source.id for s in b)), None)
        if batch is None:
            batches.append([state])
        else:
            batch.append(state)
    return batches


async def _crawl_batch(
    runner: AsyncCrawlerRunner, states: list[RunState], app_config: AppConfig | None
) -> None:
    spiders: list[SourceSpider] = []
    for state in states:
        try:
            spiders.append(spider_class_for(state.source)(source=state.source, run=state))
        except ConfigError as exc:
            state.fail(FetchError(state.source.id, None, f"cannot start its spider: {exc}"))
    if not spiders:
        return
    try:
        await runner.crawl(BatchSpider, spiders=spiders, app_config=app_config)
    except Exception as exc:  # one crawl's crash is recorded on each of its runs
        logger.exception("A crawl of %d sources crashed", len(spiders))
        for spider in spiders:
            spider.run.fail(CrawlCrashed(spider.source.id, None, _crash_text(exc)))


def _crash_text(exc: BaseException) -> str:
    return f"the crawl crashed: {type(exc).__name__}: {exc}"


def _settle(state: RunState, destination: str) -> None:
    """Write the items the store pipeline still holds (a crawl that crashed before its end
    never closed the pipeline), then settle the run's move candidates; if that fails, those
    not yet counted (still in ``move_candidates``, see :func:`settle_moves`) count invalid
    and the run fails."""
    try:
        flush_pending([state])
        settle_moves(state, destination)
    except Exception as exc:
        logger.exception("Settling moved publications of %s failed", state.source.id)
        reason = f"could not be stored: {type(exc).__name__}: {exc}"
        for candidate in state.move_candidates:
            state.note_invalid(candidate.item.url, reason)
        state.move_candidates = []
        state.fail(StoreFailed(state.source.id, None, reason))


def _open_runs(engine: Engine, states: list[RunState], *, sync: bool = True) -> None:
    """Open a run per source in one transaction (a few queries, whatever the batch size);
    ``sync`` first writes each source's row (id, name) unless the caller keeps them.

    A source is in baseline until a run has read all its URLs (``baseline_completed_at``),
    not merely until something is stored: an interrupted first crawl stays a baseline.
    """
    source_ids = [state.source.id for state in states]
    with transaction(engine) as session:
        if sync:
            sync_sources(session, [(state.source.id, state.source.name) for state in states])
        baselines = baseline_states(session, source_ids)
        validators = load_all_validators(session, source_ids)
        for state in states:
            completed_at, first_run_at = baselines[state.source.id]
            state.is_baseline = completed_at is None
            state.baseline_since = first_run_at if state.is_baseline else None
            state.validators = validators[state.source.id]
            state.run_id = start_run(session, state.source.id, is_baseline=state.is_baseline)
        # Before the commit: no sweep may see these runs without a live owner.
        owner_for(engine).hold({s.run_id: s.source.id for s in states if s.run_id is not None})


def _record_run(session: Session, state: RunState, record: RunRecord, config: AppConfig) -> None:
    """Write one run's record and the source's health; keep its new validators only if it
    fully succeeded; end the source's baseline if it read all its URLs."""
    if state.run_id is None:
        return
    run = finish_run(
        session, state.run_id, record, completes_baseline=record.outcome in COMPLETE_OUTCOMES
    )
    owner_for(session.get_bind().engine).release([state.run_id])  # the row is no longer open
    if record.outcome in SUCCESS_OUTCOMES_KEEPING_VALIDATORS:
        save_validators(session, state.source.id, state.new_validators)
    record_health(session, run, config)


def _summarize(state: RunState, record: RunRecord, duration: float) -> RunSummary:
    summary = RunSummary(
        source_id=state.source.id,
        outcome=record.outcome,
        http_statuses=record.http_statuses,
        items_parsed=record.items_parsed,
        items_new=record.items_new,
        items_invalid=record.items_invalid,
        error=record.error,
        run_id=state.run_id,
        is_baseline=state.is_baseline,
        duration=duration,
        items=state.items,
        items_duplicate=record.items_duplicate,
        items_moved=state.items_moved,
        repeated=state.repeated,
        unknown_types=dict(state.unknown_types),
        layout_suggestion=state.layout_suggestion,
    )
    _log_run(summary)
    return summary


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
