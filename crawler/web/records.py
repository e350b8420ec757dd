"""One publication as a flat record: the JSON export, ``publications --json`` and CSV rows.

The keys are a stable interface (docs/cli.md, "govwatch publications"): add, never rename.
"""

from __future__ import annotations

from typing import Any

from storage.models import Publication

CSV_COLUMNS = (
    "id",
    "source",
    "title",
    "url",
    "published",
    "language",
    "country",
    "publisher",
    "doc_type",
    "topics",
    "summary",
    "duplicate_of",
    "first_seen_at",
)


def publication_record(publication: Publication) -> dict[str, Any]:
    """Every stored field of a publication, dates as ISO 8601 strings."""
    published = publication.published_at or publication.published_on
    return {
        "id": publication.id,
        "source": publication.source_id,
        "doc_id": publication.doc_key,
        "title": publication.title,
        "url": publication.url,
        "published": published.isoformat() if published else None,
        "language": publication.language,
        "country": publication.country,
        "publisher": publication.publisher,
        "doc_type": publication.doc_type,
        "summary": publication.summary,
        "attachments": list(publication.attachments or []),
        "topics": list(publication.topics or []),
        "duplicate_of": publication.duplicate_of,
        "first_seen_at": publication.first_seen_at.isoformat(),
    }


def csv_row(publication: Publication) -> list[str]:
    """The CSV columns of :data:`CSV_COLUMNS`; topics joined with ``;``, absent as empty."""
    record = publication_record(publication)
    record["topics"] = ";".join(record["topics"])
    return ["" if record[column] is None else str(record[column]) for column in CSV_COLUMNS]
