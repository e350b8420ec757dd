"""What ``govwatch digest build`` and the weekly job of ``govwatch run`` do: build, announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from crawler.app_config import AppConfig
from crawler.digest.build import BuildResult, build_digest
from crawler.digest.fetch import DetailFetcher
from crawler.digest.period import Period, week_of_yesterday
from crawler.digest.publish import announce
from crawler.sources import SourceConfig
from storage import digests as store
from storage.db import transaction
from storage.models import utcnow


def build_and_announce(
    engine: Engine,
    config: AppConfig,
    sources: dict[str, SourceConfig],
    period: Period | None = None,
    now: datetime | None = None,
    fetch: bool | None = None,
) -> BuildResult:
    """Build the period's digest (default: the week containing yesterday, in the digest's
    time zone); a digest with items is announced to the editors once. An empty period
    creates nothing and announces nothing."""
    now = now or utcnow()
    period = period or week_of_yesterday(now, config.digest.timezone)
    fetch = config.digest.fetch_detail_pages if fetch is None else fetch
    fetcher = DetailFetcher(sources) if fetch else None
    result = build_digest(engine, period, now=now, fetch_texts=fetcher)
    if result.digest_id is not None:
        with transaction(engine) as session:
            digest = store.get_digest(session, result.digest_id)
            if digest is not None and digest.state == "draft":
                announce(session, config, digest, result.added + result.kept)
    return result
