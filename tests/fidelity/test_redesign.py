"""The mutation suite: every list-page source survives a redesign of its saved page.

A redesign (tests/fidelity/mutations.py) wraps the list, renames and reorders classes,
moves each title link, nests dates in spans and adds a "most popular" sidebar linking known
items. The configured selectors then read nothing; the layout fallback, guided by the
items stored on the baseline, must find exactly the original items and nothing else.
"""

from __future__ import annotations

import pytest
from parsel.csstranslator import css2xpath
from sqlalchemy import Engine, func, select

from crawler.outcomes import FAILED_OUTCOMES
from storage.db import transaction
from storage.models import AlertOutbox, CrawlRun, Publication
from tests.crawling import crawl, outbox_count
from tests.fidelity.mutations import redesign
from tests.fidelity.redesign import list_page_sources, measure_redesign, sidebar_for
from tests.servers.pages import PageServer
from tests.sourcepack import ServedSource, fixture_bytes, serve_source

NSF = "us_nsf_news_list"
NEW_NSF_ROW = """<div class="views-row"><article class="node node--type-news">
  <div class="latest-news-teaser"><div class="latest-news-teaser__meta">
  <span class="latest-news-teaser__type">Statement</span>
  <span class="latest-news-teaser__date"><time datetime="2026-11-24T03:00:00Z" class="datetime">November 23, 2026</time></span>
  </div><div class="latest-news-teaser__headline"><h3><a href="/news/nsf-statement-quantum-testbed">NSF statement on the national quantum testbed</a></h3></div>
  </div></article></div>"""


def publication_alerts(engine: Engine) -> int:
    with transaction(engine) as session:
        query = select(func.count()).select_from(AlertOutbox).where(AlertOutbox.kind != "ops")
        return int(session.scalar(query) or 0)


def test_every_list_page_source_is_in_the_suite() -> None:
    assert set(list_page_sources()) >= {
        "cn_beijing_policy",
        "jp_mext_news_list",
        "us_nsf_news_list",
        "kr_mss_press",
    }


@pytest.mark.parametrize("source_id", list_page_sources())
def test_redesigned_page_yields_exactly_its_items(source_id: str) -> None:
    result = measure_redesign(source_id)
    if result.plain_outcome in FAILED_OUTCOMES:
        # The configured selectors alone no longer read the redesigned page; the fallback
        # does, recalling every item and taking nothing else.
        assert result.outcome == "degraded"
    else:
        # A spider that reads the site by its URL form, not its row markup (cn_chisa_talents),
        # reads the redesigned page as it is: no fallback needed, same items, no junk.
        assert result.outcome == "ok"
    assert result.junk == []
    assert (result.recalled, result.expected) == (result.expected, result.expected)
    assert result.expected >= 5


def redesigned_nsf(pages: PageServer, *, new_row: bool) -> tuple[ServedSource, bytes]:
    served = serve_source(pages, NSF)
    original = crawl(served.source, None)[0].items
    body = fixture_bytes(NSF, "page0.html")
    if new_row:
        marker = b'<div class="view-content">'
        body = body.replace(marker, marker + NEW_NSF_ROW.encode(), 1)
    rows = [css2xpath(template.item) for template in served.source.list_templates]
    return served, redesign(body, rows, sidebar_for(original))


def test_fallback_without_known_items_alerts_nothing(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served, page = redesigned_nsf(pages, new_row=False)
    served.replace("page0.html", page)
    summary = crawl(served.source, sqlite_engine)[0]
    assert summary.outcome == "empty"
    assert "no rows matched" in (summary.error or "")
    assert outbox_count(sqlite_engine) == 0
    with transaction(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 0


def test_new_item_on_a_redesigned_page_is_alerted_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served, page = redesigned_nsf(pages, new_row=True)
    source = served.source
    baseline = crawl(source, sqlite_engine)[0]
    assert (baseline.outcome, baseline.items_new) == ("ok", 20)  # a baseline reads 2 pages
    served.replace("page0.html", page)
    drifted = crawl(source, sqlite_engine)[0]
    assert (drifted.outcome, drifted.items_parsed, drifted.items_new) == ("degraded", 11, 1)
    assert publication_alerts(sqlite_engine) == 1
    assert drifted.error is not None
    assert f"{NSF}: the configured selectors matched 0 rows" in drifted.error
    assert "Suggested selectors:\nlist:\n  item: " in drifted.error
    again = crawl(source, sqlite_engine)[0]
    assert (again.outcome, again.items_new) == ("degraded", 0)
    assert publication_alerts(sqlite_engine) == 1
    with transaction(sqlite_engine) as session:
        notices = session.scalars(select(AlertOutbox).where(AlertOutbox.kind == "ops")).all()
        texts = [notice.payload["text"] for notice in notices]
    assert len(texts) == 1  # one notice, not one per degraded run
    assert texts[0].startswith(f"{NSF} is degraded: ")
    assert "Suggested selectors:\nlist:\n  item: " in texts[0]
    with transaction(sqlite_engine) as session:
        outcomes = session.scalars(select(CrawlRun.outcome).order_by(CrawlRun.id)).all()
    assert outcomes == ["ok", "degraded", "degraded"]


BEIJING = "cn_beijing_policy"


def test_rows_that_mostly_lost_their_dates_are_read_by_the_fallback(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served = serve_source(pages, BEIJING)
    assert crawl(served.source, sqlite_engine)[0].outcome == "ok"
    page = fixture_bytes(BEIJING, "index.html").decode()
    moved = page.replace("<span>2026-", "<em>2026-").replace("</span></li>", "</em></li>")
    served.replace("index.html", moved.encode())
    summary = crawl(served.source, sqlite_engine, dry_run=True)[0]
    assert summary.outcome == "degraded"
    # The selectors' unreadable rows are not counted once the fallback has read them.
    assert (summary.items_parsed, summary.items_invalid) == (20, 0)


def test_far_fewer_rows_than_the_last_good_run_calls_the_fallback(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served = serve_source(pages, BEIJING)
    assert crawl(served.source, sqlite_engine)[0].outcome == "ok"  # baseline
    served.page("index.html").route.validators = False
    assert crawl(served.source, sqlite_engine)[0].outcome == "ok"  # a regular good run
    page = fixture_bytes(BEIJING, "index.html").decode()
    # Only the first two rows stay in the old list; the rest move to a new one.
    head, _, rest = page.partition('<ul class="default_news">')
    rows, _, tail = rest.partition("</ul>")
    lines = [line for line in rows.splitlines() if "<li>" in line]
    redesigned = (
        f'{head}<ul class="default_news">{"".join(lines[:2])}</ul>'
        f'<ul class="list-2027">{"".join(lines[2:])}</ul>{tail}'
    )
    served.replace("index.html", redesigned.encode())
    summary = crawl(served.source, sqlite_engine, dry_run=True)[0]
    assert summary.outcome == "degraded"
    # Both lists are read (the rows of the parent's two lists form one block): all 20
    # publications; the "更多" row links javascript: and is navigation.
    assert summary.items_parsed == 20
    assert len(lines) == 21
