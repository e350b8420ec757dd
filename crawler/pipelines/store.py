"""Store new publications and queue their alerts, in one transaction per item.

``check`` runs are dry: items are collected in the run state and nothing is written.
The first successful crawl of a source is a silent baseline: items are stored, no alert is
queued (unless ``--backfill``).
"""

from __future__ import annotations

from collections.abc import Sequence

from scrapy.exceptions import DropItem

from crawler.items import Publication
from crawler.runs import RunAware
from storage.db import transaction
from storage.queries import store_publication


def console_only(_item: Publication) -> Sequence[str]:
    """Default routing before any rule is configured: every alert to the console sink."""
    return ("console",)


class StorePipeline(RunAware):
    """The engine and the router come with the run (``RunState``), not with Scrapy settings,
    because settings are copied and an engine cannot be."""

    def process_item(self, item: Publication) -> Publication:
        run = self.run_for(item.source_id)
        if run is None:
            raise DropItem(f"an item of unknown source {item.source_id!r}")
        if run.dry_run or run.engine is None:
            run.items.append(item)
            return item
        alerting = run.alerts_enabled and (not run.is_baseline or run.backfill)
        router = run.router or console_only
        with transaction(run.engine) as session:
            result = store_publication(
                session,
                item,
                run_id=run.run_id,
                destinations=router(item) if alerting else (),
            )
        if result.is_new:
            run.items_new += 1
        return item
