"""Feeds as odd as the world serves them: entries with or without a link or a guid, any
date text; served live by the page server, editable between crawls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from sqlalchemy import Engine, func, select

from storage.db import transaction
from storage.models import AlertOutbox, CrawlRun
from tests.servers.pages import PageServer, Route


@dataclass
class Entry:
    title: str
    link: str | None = None
    guid: str | None = None
    date: str | None = None

    def xml(self) -> str:
        parts = [f"<title>{escape(self.title)}</title>"]
        if self.link is not None:
            parts.append(f"<link>{escape(self.link)}</link>")
        if self.guid is not None:
            parts.append(f'<guid isPermaLink="false">{escape(self.guid)}</guid>')
        if self.date is not None:
            parts.append(f"<pubDate>{escape(self.date)}</pubDate>")
        return "<item>" + "".join(parts) + "</item>"


def rfc822(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def days_ago(days: float) -> str:
    """An RFC 822 date ``days`` before now (recent enough for any date window)."""
    return rfc822(datetime.now(UTC) - timedelta(days=days))


def rss(entries: list[Entry]) -> bytes:
    body = "".join(entry.xml() for entry in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://agency.example/</link>{body}</channel></rss>"
    ).encode()


class LiveFeed:
    """A feed at ``path`` whose entries a test edits between crawls."""

    def __init__(self, pages: PageServer, entries: list[Entry], path: str = "/feed.xml") -> None:
        self.entries = list(entries)
        self.url = pages.route(
            path, Route(lambda: rss(self.entries), content_type="application/rss+xml")
        )


def numbered(n: int, *, host: str = "https://agency.example", age_days: float = 30) -> Entry:
    """Entry n of a plain feed: its own link, a date ``age_days`` + n hours ago."""
    return Entry(
        title=f"Notice number {n} on research policy",
        link=f"{host}/news/{n}",
        date=days_ago(age_days + n / 24),
    )


def publication_alerts(engine: Engine) -> int:
    """Alerts analysts would get (publication rows in the outbox, ops notices aside)."""
    with transaction(engine) as session:
        query = select(func.count()).select_from(AlertOutbox).where(AlertOutbox.kind != "ops")
        return int(session.scalar(query) or 0)


def ops_alerts(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        rows = session.scalars(select(AlertOutbox).where(AlertOutbox.kind == "ops"))
        return [str(row.payload.get("text")) for row in rows]


def run_outcomes(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return list(session.scalars(select(CrawlRun.outcome).order_by(CrawlRun.id)))
