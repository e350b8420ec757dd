"""Group a channel's due alerts into messages: one each, or one summary for a burst.

A source's first backfill or a site that republishes its archive can queue hundreds of
alerts at once; 200 messages in a channel bury everything else. So when more than
``slack.burst_threshold`` rows from one source wait for one channel, they go out as one
summary (count + the newest titles as links) placed where the first of them stood, and
every row is recorded as sent with that message. Ops rows are never summarised.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from storage.models import AlertOutbox, Publication

# Slack metadata must stay small; a larger burst becomes several summaries.
MAX_ROWS_PER_SUMMARY = 500


@dataclass
class Unit:
    """One Slack message to send: a single row, or a burst of one source's rows."""

    rows: list[AlertOutbox] = field(default_factory=list)
    burst_source: str | None = None

    @property
    def is_burst(self) -> bool:
        return self.burst_source is not None


def plan_units(
    rows: list[AlertOutbox], publications: dict[int, Publication], threshold: int
) -> list[Unit]:
    """The messages for one channel's rows (already in outbox order), in order."""

    def source_of(row: AlertOutbox) -> str | None:
        publication = publications.get(row.publication_id or -1)
        return publication.source_id if row.kind == "publication" and publication else None

    counts = Counter(source for row in rows if (source := source_of(row)) is not None)
    bursting = {source for source, count in counts.items() if count > threshold}
    units: list[Unit] = []
    open_bursts: dict[str, Unit] = {}
    for row in rows:
        source = source_of(row)
        if source not in bursting or source is None:
            units.append(Unit([row]))
            continue
        unit = open_bursts.get(source)
        if unit is None or len(unit.rows) >= MAX_ROWS_PER_SUMMARY:
            unit = open_bursts[source] = Unit([], source)
            units.append(unit)
        unit.rows.append(row)
    return units


def newest_first(unit: Unit, publications: dict[int, Publication]) -> list[Publication]:
    """The burst's publications, newest first (what a summary lists)."""
    found = [publications[row.publication_id] for row in unit.rows if row.publication_id]
    return sorted(found, key=lambda p: (_day(p), p.id), reverse=True)


def _day(publication: Publication) -> date:
    if publication.published_at is not None:
        return publication.published_at.date()
    return publication.published_on or publication.first_seen_at.date()
