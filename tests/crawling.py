"""Run crawls in tests the way govwatch runs them: the real runner, spiders, middlewares
and pipelines, on the one reactor, against pages served on 127.0.0.1."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from crawler.runner import CrawlOptions, RunSummary, crawl_sources
from crawler.service.reactor import run_on_reactor
from crawler.sources import SourceConfig
from storage.db import transaction
from storage.models import AlertOutbox

# Tests talk to 127.0.0.1 only: no politeness delays, no retries to wait through.
TEST_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_TIMES": 0,
    "DOWNLOAD_TIMEOUT": 5,
}


def crawl(
    sources: list[SourceConfig] | SourceConfig,
    engine: Engine | None,
    **options: Any,
) -> list[RunSummary]:
    """Run the real crawl runner (spiders, middlewares, pipelines) on the reactor."""
    if isinstance(sources, SourceConfig):
        sources = [sources]
    settings = {**TEST_SETTINGS, **options.pop("settings", {})}
    return run_on_reactor(
        crawl_sources(sources, engine=engine, options=CrawlOptions(settings=settings, **options)),
        timeout=120,
    )


def make_source(**fields: Any) -> SourceConfig:
    """A source config for tests; local URLs are allowed, other fields have defaults."""
    defaults: dict[str, Any] = {
        "id": "xx_test_source",
        "name": "Test source",
        "kind": "feed",
        "publisher": "Test Publisher",
        "country": "US",
        "language": "en",
        "allow_private_network": True,
    }
    return SourceConfig.model_validate({**defaults, **fields})


def outbox_count(engine: Engine) -> int:
    """How many alerts are queued or sent: the number analysts would see."""
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AlertOutbox)) or 0)
