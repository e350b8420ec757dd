"""Identity of a document, as the database keeps it.

Two questions, two kinds of key:

- *Is this the same document of the same source?* ``publications.doc_key`` (see
  :attr:`crawler.items.PublicationItem.doc_key`), stored through :func:`stored_doc_key` so that
  a key of any length fits a unique index on every backend.
- *Did another source already publish this document?* the ``document_keys`` rows, from
  :func:`document_keys`. A title and a day alone are never enough: two publishers' different
  "Press Briefing" items of one day are two documents. A cross-source match needs the same
  URL, the same PDF attachment, the same distinctive native id, or the same title and day
  *from the same publisher*.

Migration 0003 rebuilds the keys of stored publications with these functions.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from urllib.parse import urlsplit

MAX_PLAIN_KEY = 500


def stored_doc_key(key: str) -> str:
    """``key`` itself when short, else ``sha256:<hex>`` of it (unique indexes have limits)."""
    if len(key) <= MAX_PLAIN_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def url_hash(url: str) -> str:
    """SHA-256 hex of a URL: the indexed stand-in for a URL of any length."""
    return hashlib.sha256(url.encode()).hexdigest()


def normalize_text(text: str) -> str:
    """Case-folded, NFKC, letters and digits only: small punctuation edits still match."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", folded)


def is_distinctive_id(native_id: str) -> bool:
    """A native id another publisher would not use by chance: a URL, URN or tag, or a
    reference code with letters or separators (``IP/26/614``). Bare numbers are per site."""
    return len(native_id) >= 8 and not native_id.isdigit() and bool(re.search(r"[:/]", native_id))


def is_pdf(url: str, media_type: str | None) -> bool:
    return "pdf" in (media_type or "").lower() or urlsplit(url).path.lower().endswith(".pdf")


def document_keys(
    *,
    url: str | None,
    title: str,
    day: date | None,
    publisher: str | None,
    native_id: str | None,
    pdf_urls: Iterable[str] = (),
) -> list[str]:
    """The cross-source identity keys of a document (hashed), strongest first.

    ``url`` is None when the URL is not the document's own (a feed entry without a link).
    ``url`` and ``pdf_urls`` come in their identity form (:func:`crawler.urls.identity_url`,
    applied by the caller, so storage needs nothing from ``crawler/``).
    """
    keys: list[str] = []
    if url is not None:
        keys.append(f"url:{url}")
    if native_id and is_distinctive_id(native_id):
        keys.append(f"native:{native_id}")
    keys.extend(f"pdf:{pdf}" for pdf in pdf_urls)
    title_words = normalize_text(title)
    if day is not None and title_words and publisher:
        keys.append(f"title:{title_words}|{day}|publisher:{normalize_text(publisher)}")
    return [hashlib.sha256(key.encode()).hexdigest() for key in dict.fromkeys(keys)]
