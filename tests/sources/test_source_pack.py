"""The source pack: each source crawled against its fixtures through the real runner.

The checks are the same for every source; what each source must give is data, in
``tests/sources/expectations.yaml`` (item count, two items field by field, the span of
publication days in the source's time zone, paging, how to publish one more item, and what
a redesigned page must be recorded as). The bulletin's publishers
(``bulletin_expectations.yaml``) take the same checks here.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import Engine, func, select

from crawler.items import PublicationItem
from spiders.json_api import dig
from storage.db import transaction
from storage.models import AlertOutbox, CrawlRun
from storage.models import Publication as StoredPublication
from tests.crawling import crawl
from tests.servers.pages import PageServer
from tests.sourcepack import ServedSource, configured, fixture_bytes, serve_source

PACK: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "expectations.yaml").read_text(encoding="utf-8")
)
# The bulletin's publishers take the same checks (their own: test_bulletin_sources.py).
BULLETIN: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "bulletin_expectations.yaml").read_text(encoding="utf-8")
)
EXPECTATIONS = {**PACK, **BULLETIN}
SOURCE_IDS = sorted(EXPECTATIONS)
PAGED_SOURCE_IDS = sorted(sid for sid, e in EXPECTATIONS.items() if "all_pages" in e)
ITEM_FIELDS = (
    "title",
    "url",
    "published",
    "doc_type",
    "language",
    "country",
    "native_id",
    "publisher",
    "summary",
)
REDESIGNED_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Welcome to our new website</title></head>
<body><header><nav><a href="/">Home</a> <a href="/about">About us</a></nav></header>
<main><h1>We have a new website</h1><p>Content is moving. Please use the search.</p></main>
<footer>Contact</footer></body></html>"""


def local_iso(published: date | datetime, timezone: str) -> str:
    """A datetime as the source's wall clock (the instant must match too); a date as is."""
    if isinstance(published, datetime):
        return published.astimezone(ZoneInfo(timezone)).isoformat()
    return published.isoformat()


def fields_of(item: PublicationItem, timezone: str) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in ITEM_FIELDS}
    values["published"] = local_iso(item.published, timezone) if item.published else None
    return values


def publish_one_more(served: ServedSource, source_id: str, new_item: dict[str, Any]) -> None:
    """Put a copy of the first item, with the expectation's replacements, first."""
    original = fixture_bytes(source_id, new_item["file"]).decode("utf-8")
    if new_item["block"] == "json":
        body = publish_json(source_id, original, new_item["replace"])
    else:
        match = re.search(new_item["block"], original, re.DOTALL)
        assert match is not None, f"{new_item['block']!r} matches nothing in {new_item['file']}"
        block = match.group()
        for old, new in new_item["replace"].items():
            assert old in block, f"{old!r} is not in the first item"
            block = block.replace(old, new)
        body = original[: match.start()] + block + original[match.start() :]
    served.replace(new_item["file"], body.encode("utf-8"))


def publish_json(source_id: str, original: str, replacements: dict[str, str]) -> str:
    data = json.loads(original)
    path = configured(source_id).api.items_path  # type: ignore[union-attr]
    records = dig(data, path) if path else data
    text = json.dumps(copy.deepcopy(records[0]), ensure_ascii=False)
    for old, new in replacements.items():
        assert old in text, f"{old!r} is not in the first record"
        text = text.replace(old, new)
    records.insert(0, json.loads(text))
    return json.dumps(data, ensure_ascii=False)


def expected_fields(pages: PageServer, record: dict[str, Any]) -> dict[str, Any]:
    """The expected item, its URL on the local server when the page links it relatively."""
    url = record["url"]
    return {**record, "url": pages.url(url) if url.startswith("/") else url}


def count_rows(engine: Engine, model: Any, **filters: Any) -> int:
    with transaction(engine) as session:
        query = select(func.count()).select_from(model).filter_by(**filters)
        return int(session.scalar(query) or 0)


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_items_and_two_of_them_field_by_field(pages: PageServer, source_id: str) -> None:
    expected = EXPECTATIONS[source_id]
    source = serve_source(pages, source_id).source
    summary = crawl(source, None)[0]
    assert (summary.outcome, summary.items_parsed, summary.error) == ("ok", expected["items"], None)
    assert len(summary.items) == expected["items"]
    first_two = [fields_of(item, source.timezone) for item in summary.items[:2]]
    assert first_two == [expected_fields(pages, record) for record in expected["first_two"]]


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_dates_are_read_in_the_source_time_zone(pages: PageServer, source_id: str) -> None:
    expected = EXPECTATIONS[source_id]
    source = serve_source(pages, source_id).source
    items = crawl(source, None)[0].items
    assert all(item.published is not None for item in items)
    times = [item.published for item in items if isinstance(item.published, datetime)]
    assert all(value.tzinfo is not None for value in times), "a naive time was stored"
    days = [date.fromisoformat(local_iso(i.published, source.timezone)[:10]) for i in items]  # type: ignore[arg-type]
    assert [min(days).isoformat(), max(days).isoformat()] == expected["days"]
    # Newest first, as each site lists them: a day read in the wrong zone shows up here too.
    assert days == sorted(days, reverse=True)


@pytest.mark.parametrize("source_id", PAGED_SOURCE_IDS)
def test_a_backfill_reads_the_next_pages(pages: PageServer, source_id: str) -> None:
    expected = EXPECTATIONS[source_id]
    served = serve_source(pages, source_id)
    later_pages = [page.path for page in served.pages if not page.start]
    regular = crawl(served.source, None)[0]
    assert regular.items_parsed == expected["items"]
    assert [pages.hits(path) for path in later_pages] == [[] for _ in later_pages]

    backfill = crawl(served.source, None, backfill=True)[0]
    assert (backfill.outcome, backfill.items_parsed) == ("ok", expected["all_pages"]["items"])
    assert backfill.items[-1].title == expected["all_pages"]["last_title"]
    assert all(len(pages.hits(path)) == 1 for path in later_pages)


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_nothing_new_then_one_new_item_is_found_once(
    pages: PageServer, sqlite_engine: Engine, source_id: str
) -> None:
    expected = EXPECTATIONS[source_id]
    served = serve_source(pages, source_id)
    baseline = crawl(served.source, sqlite_engine)[0]
    stored = expected.get("all_pages", expected)["items"]
    assert (baseline.outcome, baseline.is_baseline, baseline.items_new) == ("ok", True, stored)

    assert crawl(served.source, sqlite_engine)[0].outcome == "not_modified"
    for page in served.pages:
        page.route.validators = False  # the site changed nothing but sends no ETag
    again = crawl(served.source, sqlite_engine)[0]
    assert (again.outcome, again.items_new) == ("ok", 0)

    publish_one_more(served, source_id, expected["new_item"])
    found = crawl(served.source, sqlite_engine)[0]
    assert (found.outcome, found.items_new) == ("ok", 1)
    assert count_rows(sqlite_engine, AlertOutbox) == 1
    title = expected["new_item"]["title"]
    assert count_rows(sqlite_engine, StoredPublication, title=title) == 1
    assert crawl(served.source, sqlite_engine)[0].items_new == 0
    assert count_rows(sqlite_engine, AlertOutbox) == 1
    assert count_rows(sqlite_engine, StoredPublication) == stored + 1


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_a_redesigned_page_is_a_failed_run_with_its_reason(
    pages: PageServer, sqlite_engine: Engine, source_id: str
) -> None:
    expected = EXPECTATIONS[source_id]["redesign"]
    served = serve_source(pages, source_id)
    for page in served.pages:
        page.route.body = REDESIGNED_PAGE
        page.route.content_type = "text/html; charset=utf-8"
    summary = crawl(served.source, sqlite_engine)[0]
    assert summary.failed
    with transaction(sqlite_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.source_id, run.outcome, run.items_parsed) == (source_id, expected["outcome"], 0)
        assert run.finished_at is not None
        assert run.error is not None
        assert source_id in run.error
        assert expected["error"] in run.error
    assert count_rows(sqlite_engine, StoredPublication) == 0


def test_every_pack_source_is_configured_with_fixtures() -> None:
    assert not set(PACK) & set(BULLETIN), "a source expected twice"
    for source_id in PACK:
        source = configured(source_id)
        assert source.id == source_id
        assert (Path(__file__).parent.parent / "fixtures" / source_id / "serve.yaml").is_file()
        assert (Path(__file__).parent.parent / "fixtures" / source_id / "SOURCE.md").is_file()
    assert len(PACK) == 20
