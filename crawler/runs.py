"""The record of one source run, built up while the crawl goes and judged when it ends.

Every run of a source leaves a ``crawl_runs`` row, whatever happened. :class:`RunState`
collects what the spider, the middlewares and the pipelines observe (HTTP statuses, items,
invalid items, errors); :meth:`RunState.record` turns that into an outcome:

- ``ok``            items were parsed (and stored)
- ``partial``       items were parsed, but some were invalid (each one named in ``error``);
                    a run fails (``parse_error``) only when most items were invalid
- ``degraded``      the list page's selectors no longer matched and the generic extractor
                    read it (``error`` names a selector set to paste; spiders/fallback.py)
- ``not_modified``  every URL answered 304
- ``empty``         a 200 response gave no items, or fewer than ``expect.min_items``
- ``http_error``    the source answered 4xx/5xx
- ``blocked``       403, 429, an anti-bot page, or a request refused for safety
- ``timeout``       the source did not answer in time
- ``parse_error``   the body is not a readable feed / JSON document
- ``fetch_error``   DNS, refused connection, size cap …
- ``store_error``   an item could not be stored (the database refused it); the URLs'
                    validators are not saved, so the next run fetches everything again
- ``error``         an unexpected exception in govwatch itself (named in ``error``)

Every item that reaches the pipelines, that the spider rejects, or that a response repeats
ends in exactly one of three counts: ``items_new`` (stored now), ``items_duplicate`` (already
known: the same document of this source, moved to a new URL, or an entry repeated within one
response), ``items_invalid`` (with the reason in ``error``); so
``items_parsed == items_new + items_duplicate + items_invalid``.

``govwatch run`` also closes a run cut off by its shutdown timeout as ``interrupted``
(crawler/service/daemon.py); health treats that as neither success nor failure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from crawler.errors import FeedParseError, FetchError, LayoutChanged, SourceError
from crawler.items import PublicationItem
from crawler.layout_memory import LayoutHistory
from crawler.outcomes import COMPLETE_OUTCOMES
from crawler.sources import SourceConfig
from storage.runs import RunRecord


class BlockedError(FetchError):
    """The site refused us (403/429) or answered with an anti-bot page."""


class TimeoutFetchError(FetchError):
    """The site did not answer within DOWNLOAD_TIMEOUT."""


class HttpStatusError(FetchError):
    """The site answered with an HTTP error status."""

    def __init__(self, source_id: str, url: str, status: int) -> None:
        self.status = status
        super().__init__(source_id, url, f"HTTP {status}")


class StoreFailed(SourceError):
    """An item could not be written to the database; the run fails, nothing is hidden."""


class CrawlCrashed(SourceError):
    """govwatch itself raised something unexpected while crawling this source."""


@dataclass
class MoveCandidate:
    """A "new" item whose title and day match a stored publication of the same source at
    another URL; settled when the run ends (moved if most new items look like this)."""

    item: PublicationItem
    known_id: int
    known_key: str  # the stored doc_key: if this run also saw it, nothing moved
    known_url: str
    destinations: tuple[str, ...] = ()  # where its alert goes if it is stored as new


@dataclass(frozen=True)
class DetailWanted:
    """A publication this run stored as new and alerting whose summary says no more than its
    title: its detail page is fetched once, later in the same crawl (crawler/detail_pages.py)."""

    publication_id: int
    url: str


@dataclass
class RunState:
    """What one run of one source has seen so far. Shared by spider, middlewares, pipelines."""

    source: SourceConfig
    engine: Engine | None = None
    run_id: int | None = None
    is_baseline: bool = False
    alerts_enabled: bool = True
    dry_run: bool = False
    backfill: bool = False
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    new_validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    not_modified_urls: set[str] = field(default_factory=set)
    items_parsed: int = 0
    items_new: int = 0
    items_duplicate: int = 0
    items_moved: int = 0
    baseline_since: datetime | None = None
    seen_doc_keys: set[str] = field(default_factory=set)
    move_candidates: list[MoveCandidate] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    items: list[PublicationItem] = field(default_factory=list)
    # Items the store pipeline holds until its next batch is written, with their alert
    # destinations (see crawler/pipelines/store.py); counted when written, and written at
    # the latest when the run is settled, before it is recorded.
    pending_store: list[tuple[PublicationItem, tuple[str, ...]]] = field(default_factory=list)
    repeated: int = 0  # entries repeated within one response (also in items_duplicate)
    # Stored (committed) publications whose detail page the crawl still has to fetch.
    detail_wanted: list[DetailWanted] = field(default_factory=list)
    unknown_types: Counter[str] = field(default_factory=Counter)
    degraded: str | None = None
    layout_suggestion: str | None = None
    suggest_layout: bool = False  # `check --suggest`: run the layout fallback regardless
    layout_loader: Callable[[], LayoutHistory] | None = None  # set by the runner
    _layout_history: LayoutHistory | None = field(default=None, init=False, repr=False)

    def layout_history(self) -> LayoutHistory:
        """What the database knows of this source's items, read once per run and only when a
        spider asks; empty when the run has no database (a dry run without one)."""
        if self._layout_history is None:
            loader = self.layout_loader
            self._layout_history = loader() if loader is not None else LayoutHistory.empty()
        return self._layout_history

    @property
    def max_pages(self) -> int:
        """Regular polls read the first page; a baseline or backfill reads ``max_pages``."""
        return self.source.max_pages if (self.backfill or self.is_baseline) else 1

    def fail(self, error: SourceError) -> None:
        self.errors.append(error)

    def note_invalid(self, url: str | None, reason: str) -> None:
        """An item reached the pipelines but cannot be stored (already counted as parsed)."""
        self.invalid.append(f"{url or '(no url)'}: {reason}")

    def note_repeated(self) -> None:
        """An entry repeated within one response: emitted once; the repeat is a parsed
        entry that ends as a duplicate, so the counts still add up. (Duplicates found when
        storing are counted by the store pipeline; ``repeated`` is the in-response share
        of ``items_duplicate``, shown by ``check``.)"""
        self.repeated += 1
        self.items_parsed += 1
        self.items_duplicate += 1

    def note_unknown_type(self, label: str) -> None:
        """A type label the spider has no mapping for (shown by ``check``)."""
        self.unknown_types[label] += 1

    def note_degraded(self, reason: str) -> None:
        """The layout fallback read a page the configured selectors could not."""
        self.degraded = reason

    def snapshot(self) -> tuple[int, int, int, int]:
        """Counts to return to when a page is read again another way (layout fallback)."""
        return len(self.invalid), self.items_parsed, self.repeated, self.items_duplicate

    def restore(self, mark: tuple[int, int, int, int]) -> None:
        invalid, self.items_parsed, self.repeated, self.items_duplicate = mark
        del self.invalid[invalid:]

    def reject(self, url: str | None, reason: str) -> None:
        """A row the spider found but could not turn into an item (e.g. an unreadable date)."""
        self.items_parsed += 1
        self.note_invalid(url, reason)

    def record(self) -> RunRecord:
        """Judge the run: the outcome, and an error text a person can act on."""
        outcome, error = self._judge()
        return RunRecord(
            outcome=outcome,
            http_statuses={str(code): count for code, count in sorted(self.statuses.items())},
            items_parsed=self.items_parsed,
            items_new=self.items_new,
            items_invalid=len(self.invalid),
            error=error,
            items_duplicate=self.items_duplicate,
        )

    @property
    def completes_baseline(self) -> bool:
        """Whether this run, if it is a baseline, has read every URL of its source."""
        return self._judge()[0] in COMPLETE_OUTCOMES

    def _judge(self) -> tuple[str, str | None]:
        if self.errors:
            first = self.errors[0]
            more = f" (+{len(self.errors) - 1} more errors)" if len(self.errors) > 1 else ""
            return _outcome_of(first), f"{first}{more}{self._hint(_outcome_of(first))}"
        fetched = sum(count for code, count in self.statuses.items() if code != 304)
        if not fetched and self.not_modified_urls:
            return "not_modified", None
        minimum = self.source.expect.min_items
        if self.items_parsed < minimum:
            reason = (
                f"{self.source.id}: the source returned {self.items_parsed} items "
                f"(expected at least {minimum})"
            )
            return "empty", reason + self._hint("empty")
        if self.invalid and len(self.invalid) * 2 > self.items_parsed:
            return "parse_error", f"most items were invalid: {'; '.join(self.invalid[:3])}" + (
                self._hint("parse_error")
            )
        if self.invalid:
            shown = "; ".join(self.invalid[:5])
            more = f" (+{len(self.invalid) - 5} more)" if len(self.invalid) > 5 else ""
            invalid = f"{len(self.invalid)} invalid items: {shown}{more}"
            if self.degraded:
                return "degraded", f"{self.degraded}\n{invalid}"
            return "partial", invalid
        if self.degraded:
            return "degraded", self.degraded
        return "ok", None

    def _hint(self, outcome: str) -> str:
        if outcome in {"empty", "parse_error"}:
            return (
                f"; the layout may have changed: run `govwatch check {self.source.id}` and "
                f"compare with tests/fixtures/{self.source.id}/"
            )
        return ""


def _outcome_of(error: SourceError) -> str:
    if isinstance(error, BlockedError):
        return "blocked"
    if isinstance(error, TimeoutFetchError):
        return "timeout"
    if isinstance(error, HttpStatusError):
        return "http_error"
    if isinstance(error, LayoutChanged):
        return "empty"
    if isinstance(error, FeedParseError):
        return "parse_error"
    if isinstance(error, StoreFailed):
        return "store_error"
    if isinstance(error, CrawlCrashed):
        return "error"
    return "fetch_error"
