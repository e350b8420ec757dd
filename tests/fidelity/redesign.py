"""The mutation suite's measure: does each list-page source survive a redesign?

For every source read by a :class:`~spiders.list_page.ListPageSpider`, its saved first page
is crawled once into a fresh SQLite database (the source's history), then redesigned by
:func:`tests.fidelity.mutations.redesign` and crawled again (dry, with that history). The
items of the redesigned page are compared with those of the original on URL, title and
publication date: *recalled* are the original items found again, *junk* the items that are
not among them (a sidebar link, a menu entry, a misread title or date).

``govwatch docs sources`` shows the result in docs/sources.md; tests/fidelity asserts it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from parsel.csstranslator import css2xpath

from crawler.items import PublicationItem
from crawler.runner import spider_class_for
from crawler.sources import SourceConfig
from spiders.list_page import ListPageSpider
from storage.db import make_engine, upgrade
from tests.crawling import crawl
from tests.fidelity.mutations import redesign
from tests.servers.pages import FIXTURES, PageServer
from tests.sourcepack import configured_sources, fixture_bytes, serve_source

ItemKey = tuple[str, str, date | datetime | None]


@dataclass
class RedesignResult:
    source_id: str
    expected: int
    recalled: int
    junk: list[ItemKey]
    outcome: str
    plain_outcome: str  # the redesigned page read with the selectors alone, no history

    @property
    def survives(self) -> bool:
        return self.expected > 0 and self.recalled == self.expected and not self.junk

    def describe(self) -> str:
        verdict = "yes" if self.survives else "no"
        return f"{verdict} ({self.recalled}/{self.expected} items, {len(self.junk)} junk)"


def list_page_sources(sources: dict[str, SourceConfig] | None = None) -> list[str]:
    """The sources whose spider reads an HTML list with selectors, and that have fixtures."""
    sources = configured_sources() if sources is None else sources
    return [
        source_id
        for source_id, source in sources.items()
        if issubclass(spider_class_for(source), ListPageSpider)
        and (FIXTURES / source_id / "serve.yaml").is_file()
    ]


def key(item: PublicationItem) -> ItemKey:
    return (item.url, item.title, item.published)


def sidebar_for(items: list[PublicationItem]) -> list[tuple[str, str, str]]:
    """Most-popular links: three known items under other titles, and two site pages."""
    links = []
    for item in items[:3]:
        day = item.published.strftime("%Y-%m-%d") if item.published else "2026-11-01"
        links.append((urlsplit(item.url).path or "/", f"Most read: {item.title[:20]}", day))
    links += [("/about/contact.html", "Contact us", "2026-11-02"), ("/", "Home", "2026-11-03")]
    return links


def measure_redesign(source_id: str) -> RedesignResult:
    with PageServer() as pages, tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'history.sqlite3'}")
        upgrade(engine)
        try:
            served = serve_source(pages, source_id)
            source = served.source
            original = crawl(source, None)[0].items
            crawl(source, engine)  # the baseline: the source's known items
            start = next(page for page in served.pages if page.start)
            rows = [css2xpath(template.item) for template in source.list_templates]
            body = fixture_bytes(source_id, start.file)
            served.replace(start.file, redesign(body, rows, sidebar_for(original)))
            plain = crawl(source, None)[0]
            redesigned = crawl(source, engine, dry_run=True)[0]
        finally:
            engine.dispose()
    expected = {key(item) for item in original}
    found = [key(item) for item in redesigned.items]
    return RedesignResult(
        source_id=source_id,
        expected=len(expected),
        recalled=len(expected & set(found)),
        junk=[entry for entry in found if entry not in expected],
        outcome=redesigned.outcome,
        plain_outcome=plain.outcome,
    )
