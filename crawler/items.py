"""The typed item every stage passes on: a :class:`PublicationItem` and its :class:`Attachment` s.

Spiders yield these and nothing else; the pipelines normalize, validate and store them.
Field names follow the bulletin a policy analyst writes: title, publisher, country,
published, language, doc_type, url, summary, attachments, topics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from crawler.urls import identity_url


class Attachment(BaseModel):
    """A file linked from a publication (usually a PDF); size in bytes when the site says."""

    model_config = ConfigDict(extra="forbid")

    url: str
    title: str | None = None
    media_type: str | None = None
    size: int | None = None


class PublicationItem(BaseModel):
    """One document a source published.

    ``native_id`` is the source's own identifier when it has one (a feed guid, an EC
    reference code such as ``IP/26/614``); otherwise the canonical URL identifies the item
    (in its :func:`~crawler.urls.identity_url` form). ``url_identifies`` is False when the
    entry had no link of its own and ``url`` is only the page it was read from: then the
    identity is the title and date, never that shared URL.
    ``published`` is a ``date`` when the source gives only a day, or an aware ``datetime``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    source_id: str
    url: str
    title: str
    published: date | datetime | None = None
    native_id: str | None = None
    url_identifies: bool = Field(default=True, exclude=True)  # not part of the item's data
    language: str | None = None
    country: str | None = None
    publisher: str | None = None
    doc_type: str | None = None
    summary: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)

    @property
    def doc_key(self) -> str:
        """The per-source dedup key: the native id when the source has one, else the URL
        without scheme or ``www.`` differences, else (no link of its own) title and date."""
        if self.native_id:
            return self.native_id
        if self.url_identifies:
            try:
                return identity_url(self.url)
            except ValueError:
                return self.url
        published = self.published.isoformat() if self.published is not None else "undated"
        return f"title:{self.title}|{published}"

    def to_json_dict(self) -> dict[str, object]:
        """The stable machine form printed by ``govwatch check --json`` (see docs/cli.md)."""
        return {
            "source": self.source_id,
            "doc_id": self.doc_key,
            "title": self.title,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "language": self.language,
            "country": self.country,
            "publisher": self.publisher,
            "doc_type": self.doc_type,
            "summary": self.summary,
            "attachments": [a.model_dump() for a in self.attachments],
            "topics": list(self.topics),
        }


Router = Callable[[PublicationItem], Sequence[str]]
"""Names the destinations (channels) a publication's alert goes to; empty means none."""
