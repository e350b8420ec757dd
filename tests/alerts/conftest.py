"""Fixtures for alert tests: the fake Slack server, a configuration pointing at it, and
publications stored the way the store pipeline stores them (routing included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from crawler.alerts.router import publication_router
from crawler.app_config import AppConfig
from crawler.items import PublicationItem
from crawler.pipelines.store import store_publication_item as store_publication
from storage.db import transaction
from storage.models import AlertOutbox
from storage.sources import sync_sources
from tests.servers.slack import TOKEN, FakeSlack

ROOT = Path(__file__).resolve().parents[2]
ROUTING = ROOT / "config" / "routing.yaml"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def slack_config(slack: FakeSlack, **slack_fields: Any) -> AppConfig:
    return AppConfig.model_validate({"slack": slack_settings(slack.api_url, **slack_fields)})


def slack_settings(api_url: str, **slack_fields: Any) -> dict[str, Any]:
    """Settings for tests: the fake server, short retries, no pacing unless asked."""
    return {
        "base_url": api_url,
        "default_channel": "#policy-alerts",
        "ops_channel": "#govwatch-ops",
        "per_channel_interval": 0,
        "http_retries": 1,
        "http_backoff": 0.01,
        "retry_backoff": 0,
        "claim_timeout": 0,
        "routing_file": str(ROUTING),
        **slack_fields,
    }


@pytest.fixture
def config(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> AppConfig:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("GOVWATCH_ROUTING", raising=False)
    return slack_config(slack)


def item(n: int, **fields: Any) -> PublicationItem:
    values: dict[str, Any] = {
        "source_id": "us_nsf_news",
        "url": f"https://www.nsf.gov/news/item-{n}",
        "native_id": f"nsf-{n}",
        "title": f"NSF news item {n}",
        "published": datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        "language": "en",
        "country": "US",
        "publisher": "U.S. National Science Foundation",
        "doc_type": "news",
        "summary": f"Summary {n}",
        **fields,
    }
    return PublicationItem(**values)


def store(engine: Engine, config: AppConfig, *items: PublicationItem) -> list[int]:
    """Store items as the store pipeline does: routed by ``config``, one transaction each."""
    router = publication_router(config)
    ids = []
    for one in items:
        with transaction(engine) as session:
            sync_sources(session, [(one.source_id, one.source_id)])
            result = store_publication(session, one, run_id=None, destinations=router(one))
        assert result.publication_id is not None
        ids.append(result.publication_id)
    return ids


def outbox(engine: Engine) -> list[AlertOutbox]:
    with transaction(engine) as session:
        return list(session.scalars(select(AlertOutbox).order_by(AlertOutbox.id)))
