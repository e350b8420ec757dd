"""ListPageSpider: an HTML page listing publications, read with selectors from the config.

Selectors are CSS (parsel, with ``::text`` / ``::attr(x)``) or XPath when prefixed with
``xpath:``; field selectors are relative to the row. The charset comes from the HTTP header
or the page's ``<meta>`` (Scrapy's HtmlResponse), so Shift_JIS and GBK pages decode.

A source may declare several selector sets (``list:`` as a list): the first that matches
rows reads the page. Each row is read on its own: a row without a link or a readable date
is recorded as invalid with its reason and the rows after it are still read. A row listed
twice on one page is emitted once and counted as a duplicate. When no selector set
matches (or far fewer rows than the source's last good run), the generic extractor of
:mod:`spiders.fallback` looks for the list the way a person would, guided by the source's
known items; the run is then ``degraded`` and names a selector set to paste.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from parsel import Selector, SelectorList
from scrapy import Request
from scrapy.http import Response, TextResponse

from crawler.dates import parse_date
from crawler.errors import DateParseError, LayoutChanged
from crawler.items import PublicationItem
from crawler.layout_memory import LayoutHistory
from crawler.sources import ListSelectors
from spiders import fallback
from spiders.base import SourceSpider

logger = logging.getLogger(__name__)

NON_DOCUMENT_SCHEMES = ("javascript:", "mailto:", "#")
ATTRIBUTE_PART = re.compile(r"::attr\([^)]*\)\s*$")
# Fewer rows than this share of the last good run's count sends the page to the fallback.
FALLBACK_BELOW_SHARE = 0.5


def select(node: Selector | Response, query: str) -> SelectorList[Selector]:
    """Run a config selector: CSS, or XPath when written ``xpath:…``."""
    if isinstance(node, Response) and not isinstance(node, TextResponse):
        raise TypeError(
            f"{node.url} is not a text page (Content-Type {node.headers.get('Content-Type')!r})"
        )
    if query.startswith("xpath:"):
        return node.xpath(query.removeprefix("xpath:"))
    return node.css(query)


def text_of(node: Selector, query: str | None) -> str | None:
    """All text the selector finds, joined; None when the selector is unset or finds nothing."""
    if not query:
        return None
    parts = [part.strip() for part in select(node, query).getall()]
    joined = " ".join(part for part in parts if part)
    return joined or None


def shown_day_wins(
    machine: date | datetime, shown: date | datetime | None, timezone: str
) -> date | datetime:
    """A row's date is what the row shows: when a machine timestamp (often UTC, as in
    ``<time datetime="…Z">``) falls on another day than the visible local date, the visible
    day is kept (a reader of the site sees that day), without the time that contradicts it."""
    if shown is None:
        return machine
    shown_day = shown.date() if isinstance(shown, datetime) else shown
    if isinstance(machine, datetime):
        local = machine.astimezone(ZoneInfo(timezone)) if machine.tzinfo else machine
        return local if local.date() == shown_day else shown_day
    return machine if machine == shown_day else shown_day


class ListPageSpider(SourceSpider):
    name = "list_page"

    _active: ListSelectors | None = None

    @property
    def selectors(self) -> ListSelectors:
        """The selector set reading the current page (the first configured one otherwise)."""
        if self._active is not None:
            return self._active
        if self.source.list_selectors is None:
            raise LayoutChanged(self.source.id, None, "no 'list' selectors configured")
        return self.source.list_selectors

    def parse_page(self, response: Response) -> Iterator[PublicationItem | Request]:
        # Read eagerly: the selector set in use is per page, and Scrapy may interleave the
        # generators of two pages.
        return iter(self.read_page(response))

    def read_page(self, response: Response) -> list[PublicationItem | Request]:
        template, rows = self.match_template(response)
        if not rows:
            recovered = self.read_with_fallback(response, matched=0)
            if recovered is not None:
                return recovered
            tried = " or ".join(repr(each.item) for each in self.source.list_templates)
            raise LayoutChanged(self.source.id, response.url, f"no rows matched {tried}")
        before = self.run.snapshot()
        self._active = template
        try:
            found: list[PublicationItem | Request] = list(self.read_rows(rows, response))
            found.extend(self.next_pages(response))
        finally:
            self._active = None
        items = sum(isinstance(entry, PublicationItem) for entry in found)
        if self.run.suggest_layout and self.run.layout_suggestion is None:
            extraction = self.extract_generically(response)
            if extraction is not None:
                self.note_suggestion(response, extraction, extraction.why_not)
        if self.drifted(len(rows), items):
            recovered = self.read_with_fallback(response, matched=items)
            if recovered is not None:
                self.run.restore(before)  # the selectors' unreadable rows were not rows
                return recovered
        return found

    def drifted(self, rows: int, items: int) -> bool:
        """Whether the selectors read far less than they should: most matched rows are
        unreadable, or far fewer rows than the source's last good run."""
        if items * 2 < rows:
            return True
        if self.run.engine is None:
            return False
        usual = self.history().usual_rows
        return usual is not None and rows < usual * FALLBACK_BELOW_SHARE

    def match_template(self, response: Response) -> tuple[ListSelectors | None, list[Selector]]:
        """The first selector set that finds rows on this page, and its rows."""
        for template in self.source.list_templates:
            self._active = template
            try:
                rows = self.rows(response)
            finally:
                self._active = None
            if rows:
                return template, rows
        return None, []

    def rows(self, response: Response) -> list[Selector]:
        """The rows that stand for publications (navigation rows such as 更多 left out)."""
        return [
            row
            for row in select(response, self.selectors.item)
            if not (text_of(row, self.selectors.link) or "").startswith(NON_DOCUMENT_SCHEMES)
        ]

    def read_rows(self, rows: list[Selector], response: Response) -> Iterator[PublicationItem]:
        """Each row on its own: an unreadable row is recorded, the next one is read; a row
        listed twice on the page is emitted once and counted as a duplicate."""
        seen: set[str] = set()
        for number, row in enumerate(rows, start=1):
            item = self.row_or_reject(row, number, response)
            if item is None or not self.source.keeps(item.url):
                continue
            key = item.native_id or item.url
            if key in seen:
                self.run.note_repeated()
                continue
            seen.add(key)
            yield item

    def row_or_reject(
        self, row: Selector, number: int, response: Response
    ) -> PublicationItem | None:
        """One row as an item, or None with the reason recorded on the run."""
        try:
            return self.row_to_item(row, response)
        except DateParseError as exc:
            self.run.reject(exc.url or response.url, str(exc))
        except LayoutChanged as exc:
            self.run.reject(exc.url or response.url, f"row {number}: {exc.reason}")
        return None

    def row_to_item(self, row: Selector, response: Response) -> PublicationItem | None:
        url = self.row_url(row, response)
        published = self.row_date(row, url)
        return self.item(
            url=url,
            title=text_of(row, self.selectors.title) or "",
            published=published,
            summary=text_of(row, self.selectors.summary),
            doc_type=text_of(row, self.selectors.doc_type),
        )

    def row_url(self, row: Selector, response: Response) -> str:
        """The row's document URL (hook: boards whose links are JavaScript calls)."""
        href = text_of(row, self.selectors.link)
        if not href:
            raise LayoutChanged(
                self.source.id, response.url, f"a row has no link at {self.selectors.link!r}"
            )
        return response.urljoin(href)

    def row_date(self, row: Selector, url: str) -> date | datetime | None:
        query = self.selectors.date
        raw = text_of(row, query)
        if query is None:
            return None
        if raw is None:
            raise DateParseError(self.source.id, url, "", f"the row shows no date at {query!r}")
        machine = self.read_date(raw, url)
        if query.startswith("xpath:") or not ATTRIBUTE_PART.search(query):
            return machine
        shown = text_of(row, ATTRIBUTE_PART.sub("::text", query))
        return shown_day_wins(machine, self.read_shown_date(shown, url), self.source.timezone)

    def read_date(self, raw: str, url: str) -> date | datetime:
        return parse_date(
            raw,
            timezone=self.source.timezone,
            languages=[self.source.language],
            date_order=self.selectors.date_order,
            source_id=self.source.id,
            url=url,
        )

    def read_shown_date(self, shown: str | None, url: str) -> date | datetime | None:
        """The visible date next to a machine attribute; None when there is none to read."""
        if not shown:
            return None
        try:
            return self.read_date(shown, url)
        except DateParseError:
            return None

    def read_local_date(self, text: str, url: str) -> date | datetime | None:
        """A date the fallback found, with a time shown in the source's time zone."""
        value = self.read_shown_date(text, url)
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(ZoneInfo(self.source.timezone))
        return value

    def next_pages(self, response: Response) -> Iterator[Request]:
        """Follow the configured next-page link until the run's page budget is spent."""
        page = int(response.meta.get("page", 1))
        if not self.selectors.next_page or page >= self.run.max_pages:
            return
        href = select(response, self.selectors.next_page).get()
        if href:
            yield self.request(response.urljoin(href), page=page + 1)

    # The layout-drift fallback.

    def history(self) -> LayoutHistory:
        """What the database knows of this source's items: handed over by the engine on the
        run (read once per run, on first use); spiders do not read the database."""
        return self.run.layout_history()

    def fallback_url(self, anchor: Selector, response: Response) -> str | None:
        """Hook: the document URL of a link the fallback found (None: not a document)."""
        href = (anchor.attrib.get("href") or "").strip()
        if not href or href.startswith(NON_DOCUMENT_SCHEMES):
            return None
        return response.urljoin(href)

    def extract_generically(self, response: Response) -> fallback.Extraction | None:
        """The generic extractor's reading of the page, guided by the source's history."""
        if not isinstance(response, TextResponse):
            return None
        return fallback.extract(
            response.selector,
            base_url=response.url,
            history=self.history(),
            read_url=lambda anchor: self.fallback_url(anchor, response),
            read_date=lambda text: self.read_local_date(text, response.url),
        )

    def note_suggestion(
        self, response: Response, found: fallback.Extraction, reason: str | None
    ) -> None:
        """Keep the selector set the extractor suggests (``check --suggest`` prints it)."""
        verdict = f"not verified: {reason}" if reason else "verified"
        self.run.layout_suggestion = (
            f"# {self.source.id}: suggested by the layout fallback at {response.url} "
            f"({len(found.rows)} rows, {found.known_found} known items re-found; "
            f"{verdict})\n{found.suggestion_yaml()}"
        )

    def read_with_fallback(
        self, response: Response, *, matched: int
    ) -> list[PublicationItem | Request] | None:
        """The page read by the generic extractor, or None when it cannot vouch for what it
        finds (it must re-find the source's known items first)."""
        found = self.extract_generically(response)
        reason = None if found is None else found.why_not
        if found is not None and found.verified and len(found.rows) <= matched:
            reason = f"it found {len(found.rows)} rows, the selectors {matched}"
        if found is not None:
            self.note_suggestion(response, found, reason)
        if found is None or reason is not None:
            logger.warning(
                "The layout fallback did not take over: %s",
                reason or "no repeated list of dated links",
                extra={"source_id": self.source.id, "url": response.url},
            )
            return None
        self.run.note_degraded(
            f"{self.source.id}: the configured selectors matched {matched} rows at "
            f"{response.url}; a generic reading found {len(found.rows)} "
            f"(re-finding {found.known_found} known items). Suggested selectors:\n"
            + found.suggestion_yaml()
        )
        items: list[PublicationItem | Request] = []
        seen: set[str] = set()
        for row in found.rows:
            if row.problem is not None or row.url is None or row.published is None:
                self.run.reject(row.url or response.url, row.problem or "an unreadable row")
                continue
            if row.url in seen:
                self.run.note_repeated()
                continue
            seen.add(row.url)
            item = self.item(url=row.url, title=row.title, published=row.published)
            if self.source.keeps(item.url):
                items.append(item)
        return items
