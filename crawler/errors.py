"""Every error govwatch raises on purpose, so callers can catch at the level they care about.

    GovwatchError
    ├── ConfigError            a configuration file is wrong (file, line, source id, field)
    ├── StorageError           the database is missing, locked or at the wrong schema
    │   └── DatabaseURLError   the database URL can never work (unreadable, unknown kind)
    ├── SourceError            one source failed; the run is recorded and the others go on
    │   ├── FetchError         no usable response (DNS, timeout, HTTP status, size cap)
    │   ├── LayoutChanged      a response arrived but no longer has the expected shape
    │   ├── FeedParseError     a feed or JSON body could not be parsed at all
    │   └── DateParseError     a date text is missing, ambiguous or impossible
    └── DeliveryError          an alert could not be delivered (kept in the outbox)

Messages are written for the person who reads them: what failed, where, and what to do next.
"""

from __future__ import annotations

from storage.errors import DatabaseURLError as DatabaseURLError

# The root and StorageError live on storage's floor so storage needs nothing from crawler/.
from storage.errors import GovwatchError as GovwatchError
from storage.errors import StorageError as StorageError


class ConfigError(GovwatchError):
    """A configuration file is invalid; the message names file, line, source id and field."""


class SourceError(GovwatchError):
    """One source could not be read; carries the source id and the URL involved."""

    def __init__(self, source_id: str, url: str | None, reason: str) -> None:
        self.source_id = source_id
        self.url = url
        self.reason = reason
        where = f"{source_id}: {url}" if url else source_id
        super().__init__(f"{where}: {reason}")


class FetchError(SourceError):
    """The source did not answer usefully: network error, timeout, HTTP error, size cap."""


class LayoutChanged(SourceError):
    """The page or feed arrived but no longer has the shape the spider expects."""


class FeedParseError(SourceError):
    """The body is not a readable feed / JSON document."""


class DateParseError(SourceError):
    """A date could not be read without guessing; ``raw`` holds the text as found."""

    def __init__(self, source_id: str, url: str | None, raw: str, reason: str) -> None:
        self.raw = raw
        super().__init__(source_id, url, f"cannot read date {raw!r}: {reason}")


class DeliveryError(GovwatchError):
    """An alert could not be delivered now; the outbox row stays pending with this reason."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        self.reason = reason
        self.permanent = permanent
        super().__init__(reason)
