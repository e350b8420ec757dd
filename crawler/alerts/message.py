"""What an alert about a publication says, independent of where it is shown.

The console and Slack both render one :class:`AlertMessage` (the "publication view"), so
an analyst sees the same facts, labelled the same way, wherever they read them. Facts are
for people: the date in the source's own time zone (UTC beside it), "Executive order"
rather than ``executive_order``, "Japanese" rather than ``ja``, the source's name rather
than its id. Text that came from a page (title, summary, publisher, attachment titles) is
carried verbatim; each sink escapes it for its own markup.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.config_loader import default_sources_path, load_sources
from crawler.errors import GovwatchError
from storage.models import Publication

logger = logging.getLogger(__name__)

# ISO 639-1 codes of the languages sources publish in, and their English names.
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "da": "Danish",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "hi": "Hindi",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "sv": "Swedish",
    "th": "Thai",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
# Type codes whose plain spelling would read wrong ("Ip", "Faq").
DOC_TYPE_LABELS = {"ip": "Press release", "faq": "FAQ", "qa": "Q&A"}
TYPE_CODE = re.compile(r"[a-z]+(_[a-z]+)*|[A-Z]+(_[A-Z]+)*")


@dataclass(frozen=True)
class SourceFacts:
    """What the configuration knows about a publication's source."""

    name: str
    timezone: str | None


@dataclass(frozen=True)
class AttachmentView:
    title: str
    url: str
    media_type: str | None
    size: int | None


@dataclass(frozen=True)
class AlertMessage:
    """One publication as every sink shows it."""

    publication_id: int
    source_id: str
    source_name: str
    title: str
    url: str
    when: str
    fields: list[tuple[str, str]]
    summary: str | None
    attachments: list[AttachmentView]


class SourceDirectory:
    """Source names and time zones from the sources file, re-read when the file changes.

    An alert must go out even when the sources file is unreadable at that moment; then the
    source id stands in for the name and dates are shown in UTC.
    """

    def __init__(self) -> None:
        self._loaded: tuple[Path, float] | None = None
        self._facts: dict[str, SourceFacts] = {}

    def get(self, source_id: str) -> SourceFacts | None:
        path = default_sources_path()
        try:
            stamp = (path, path.stat().st_mtime)
        except OSError:
            return None
        if stamp != self._loaded:
            try:
                sources = load_sources(path)
            except GovwatchError as exc:
                logger.warning("Alerts show source ids: cannot read %s (%s)", path, exc)
                sources = {}
            self._facts = {
                source.id: SourceFacts(source.name, source.timezone) for source in sources.values()
            }
            self._loaded = stamp
        return self._facts.get(source_id)


SOURCES = SourceDirectory()


def language_label(code: str | None) -> str:
    """``ja`` → ``Japanese``; an unknown code is shown as it is."""
    if not code:
        return "—"
    return LANGUAGE_NAMES.get(code.lower().split("-")[0], code)


def doc_type_label(code: str | None) -> str:
    """``executive_order`` → ``Executive order``; free text from a page keeps its words."""
    if not code:
        return "—"
    if label := DOC_TYPE_LABELS.get(code.strip().lower()):
        return label
    if TYPE_CODE.fullmatch(code.strip()):  # a code (ours or the site's), not words
        return code.strip().replace("_", " ").capitalize()
    return code


def describe_date(publication: Publication, timezone: str | None = None) -> str:
    """The date as the source gave it: a day, or a time in the source's zone with UTC beside.

    ``2026-03-02 19:00 JST (10:00 UTC)``; the UTC part carries its own day when that differs.
    A day alone is the source's own calendar day, so it is shown as it is.
    """
    if publication.published_at is None:
        return publication.published_on.isoformat() if publication.published_on else "undated"
    moment = publication.published_at
    if moment.tzinfo is None:  # stored naive in UTC by some databases
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    local = _in_zone(moment, timezone)
    if local is None or local.utcoffset() == timedelta(0):
        return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M UTC")
    utc = moment.astimezone(ZoneInfo("UTC"))
    utc_text = utc.strftime("%H:%M" if utc.date() == local.date() else "%Y-%m-%d %H:%M")
    return f"{local.strftime('%Y-%m-%d %H:%M')} {_zone_name(local)} ({utc_text} UTC)"


def _in_zone(moment: datetime, timezone: str | None) -> datetime | None:
    if not timezone:
        return None
    try:
        return moment.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone_name(local: datetime) -> str:
    """``JST``, ``CET``; for zones without a letter abbreviation, the offset (``+08``)."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}" if rest else f"UTC{sign}{hours:02d}"


def alert_message(
    publication: Publication,
    source: SourceFacts | None = None,
    *,
    web_base_url: str | None = None,
) -> AlertMessage:
    """The publication view: every sink renders this, and only this. With ``web_base_url``
    (``web.base_url`` in govwatch.yaml) it links the publication's page in govwatch web."""
    facts = source or SOURCES.get(publication.source_id)
    name = facts.name if facts else publication.source_id
    when = describe_date(publication, facts.timezone if facts else None)
    fields = [
        ("Publisher", publication.publisher or "—"),
        ("Country", publication.country or "—"),
        ("Date", when),
        ("Type", doc_type_label(publication.doc_type)),
        ("Language", language_label(publication.language)),
        ("Topics", ", ".join(publication.topics) or "—"),
        ("Source", name),
        ("ID", str(publication.id)),
    ]
    if web_base_url:
        fields.append(("In govwatch", f"{web_base_url.rstrip('/')}/publications/{publication.id}"))
    attachments = [
        AttachmentView(
            title=str(a.get("title") or a.get("media_type") or "attachment"),
            url=str(a.get("url") or ""),
            media_type=a.get("media_type"),
            size=a.get("size") if isinstance(a.get("size"), int) else None,
        )
        for a in publication.attachments
    ]
    return AlertMessage(
        publication_id=publication.id,
        source_id=publication.source_id,
        source_name=name,
        title=publication.title,
        url=publication.url,
        when=when,
        fields=fields,
        summary=publication.summary,
        attachments=attachments,
    )


def source_name(source_id: str) -> str:
    """The configured name of a source, else its id (bursts name their source too)."""
    facts = SOURCES.get(source_id)
    return facts.name if facts else source_id
