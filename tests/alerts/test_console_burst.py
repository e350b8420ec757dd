"""The console gets the same burst rule as Slack: one summary, not a screenful per item."""

from __future__ import annotations

import io
from datetime import date

from rich.console import Console
from sqlalchemy import Engine, select

from crawler.alerts.outbox import dispatch_pending
from crawler.alerts.sinks.console import ConsoleSink
from crawler.items import PublicationItem as Item
from crawler.pipelines.store import store_publication_item as store_publication
from storage.db import transaction
from storage.models import AlertOutbox
from storage.sources import sync_sources


def _queue(engine: Engine, source_id: str, count: int) -> None:
    with transaction(engine) as session:
        sync_sources(session, [(source_id, source_id)])
        for n in range(count):
            store_publication(
                session,
                Item(
                    source_id=source_id,
                    url=f"https://{source_id}.example.gov/{n}",
                    title=f"{source_id} item {n}",
                    published=date(2026, 3, 1 + n),
                ),
                run_id=None,
                destinations=["console"],
            )


def test_a_burst_is_one_summary_and_every_row_is_settled(engine: Engine) -> None:
    _queue(engine, "us_burst", 15)
    _queue(engine, "us_single", 1)
    out = io.StringIO()
    report = dispatch_pending(engine, ConsoleSink(Console(file=out, width=200)), burst_threshold=10)
    text = out.getvalue()
    assert report.sent == 16
    assert text.count("15 new from us_burst") == 1
    assert "us_burst item 14" in text  # newest first
    assert "… and 5 more" in text
    assert text.count("New: us_single item 0") == 1
    assert "New: us_burst" not in text
    with transaction(engine) as session:
        statuses = {row.status for row in session.scalars(select(AlertOutbox))}
    assert statuses == {"sent"}


def test_below_the_threshold_each_item_is_its_own_alert(engine: Engine) -> None:
    _queue(engine, "us_few", 3)
    out = io.StringIO()
    dispatch_pending(engine, ConsoleSink(Console(file=out, width=200)), burst_threshold=10)
    assert out.getvalue().count("New: us_few item") == 3
