"""What the crawl hands storage to write: plain values, so storage needs nothing from crawler/.

The store pipeline builds a :class:`NewPublication` from the crawl's item
(:func:`crawler.pipelines.store.new_publication`); URLs arrive already in their identity form,
because that form is the crawl's knowledge (:func:`crawler.urls.identity_url`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class NewPublication:
    """One publication to store, as the ``publications`` row and its identity keys need it.

    ``doc_key`` is the source's own key of the document; ``identity_url`` is the URL in its
    identity form, or None when the URL is not the document's own (a feed entry without a
    link); ``pdf_identity_urls`` are the identity forms of its PDF attachments.
    """

    source_id: str
    doc_key: str
    url: str
    title: str
    native_id: str | None = None
    url_identifies: bool = True
    identity_url: str | None = None
    published: date | datetime | None = None
    language: str | None = None
    country: str | None = None
    publisher: str | None = None
    doc_type: str | None = None
    summary: str | None = None
    attachments: Sequence[Mapping[str, Any]] = ()
    topics: Sequence[str] = ()
    pdf_identity_urls: Sequence[str] = field(default_factory=tuple)
