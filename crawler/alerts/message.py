"""What an alert about a publication says, independent of where it is shown.

The console and Slack sinks render the same :class:`AlertMessage`, so an analyst sees the
same facts wherever they read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Publication


@dataclass(frozen=True)
class AlertMessage:
    title: str
    url: str
    fields: list[tuple[str, str]]
    summary: str | None
    attachments: list[tuple[str, str]]


def describe_date(publication: Publication) -> str:
    """The publication date as the source gave it: a day, or a time with its zone (UTC)."""
    if publication.published_at is not None:
        return publication.published_at.strftime("%Y-%m-%d %H:%M UTC")
    return publication.published_on.isoformat() if publication.published_on else "undated"


def alert_message(publication: Publication) -> AlertMessage:
    fields = [
        ("Publisher", publication.publisher or "—"),
        ("Country", publication.country or "—"),
        ("Date", describe_date(publication)),
        ("Type", publication.doc_type or "—"),
        ("Language", publication.language or "—"),
        ("Topics", ", ".join(publication.topics) or "—"),
        ("Source", publication.source_id),
    ]
    attachments = [
        (str(a.get("title") or a.get("media_type") or "attachment"), str(a["url"]))
        for a in publication.attachments
    ]
    return AlertMessage(
        title=publication.title,
        url=publication.url,
        fields=fields,
        summary=publication.summary,
        attachments=attachments,
    )
