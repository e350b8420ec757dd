"""The bulletin's last three publishers (EPO press releases, IndiaAI, 神州学人 talent news),
each crawled against its fixtures through the real runner, with the source pack's checks.

What each must give is data, in ``bulletin_expectations.yaml``. Two of the sites link their
documents relatively, so an expected URL written as a path is on the local server.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, select

from crawler.items import PublicationItem
from storage.db import transaction
from storage.models import AlertOutbox, CrawlRun
from storage.models import Publication as StoredPublication
from tests.crawling import crawl
from tests.servers.pages import FIXTURES, PageServer
from tests.sourcepack import configured
from tests.sourcepack import serve_source as serve
from tests.sources.test_source_pack import (
    REDESIGNED_PAGE,
    count_rows,
    fields_of,
    local_iso,
    publish_one_more,
)

EXPECTATIONS: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "bulletin_expectations.yaml").read_text(encoding="utf-8")
)
SOURCE_IDS = sorted(EXPECTATIONS)


def expected_fields(pages: PageServer, record: dict[str, Any]) -> dict[str, Any]:
    """The expected item, its URL on the local server when the page links it relatively."""
    url = record["url"]
    return {**record, "url": pages.url(url) if url.startswith("/") else url}


def test_the_three_sources_are_enabled_and_have_fixtures() -> None:
    assert SOURCE_IDS == ["cn_chisa_talents", "in_indiaai_articles", "int_epo_press"]
    for source_id in SOURCE_IDS:
        assert configured(source_id).enabled
        assert configured(source_id).notes
        for name in ("serve.yaml", "SOURCE.md"):
            assert (FIXTURES / source_id / name).is_file(), f"{source_id}/{name}"


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_items_and_two_of_them_field_by_field(pages: PageServer, source_id: str) -> None:
    expected = EXPECTATIONS[source_id]
    source = serve(pages, source_id).source
    summary = crawl(source, None)[0]
    assert (summary.outcome, summary.items_parsed, summary.error) == ("ok", expected["items"], None)
    first_two = [fields_of(item, source.timezone) for item in summary.items[:2]]
    assert first_two == [expected_fields(pages, record) for record in expected["first_two"]]


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_dates_are_read_in_the_source_time_zone(pages: PageServer, source_id: str) -> None:
    expected = EXPECTATIONS[source_id]
    source = serve(pages, source_id).source
    items: list[PublicationItem] = crawl(source, None)[0].items
    published = [item.published for item in items]
    assert all(value is not None for value in published)
    times = [value for value in published if isinstance(value, datetime)]
    assert all(value.tzinfo is not None for value in times), "a naive time was stored"
    days = [date.fromisoformat(local_iso(value, source.timezone)[:10]) for value in published]  # type: ignore[arg-type]
    assert [min(days).isoformat(), max(days).isoformat()] == expected["days"]
    assert days == sorted(days, reverse=True)


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_nothing_new_then_one_new_item_is_found_once(
    pages: PageServer, sqlite_engine: Engine, source_id: str
) -> None:
    expected = EXPECTATIONS[source_id]
    served = serve(pages, source_id)
    baseline = crawl(served.source, sqlite_engine)[0]
    assert (baseline.outcome, baseline.is_baseline, baseline.items_new) == (
        "ok",
        True,
        expected["items"],
    )

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
    assert count_rows(sqlite_engine, StoredPublication) == expected["items"] + 1


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_a_redesigned_page_is_a_failed_run_with_its_reason(
    pages: PageServer, sqlite_engine: Engine, source_id: str
) -> None:
    expected = EXPECTATIONS[source_id]["redesign"]
    served = serve(pages, source_id)
    for page in served.pages:
        page.route.body = REDESIGNED_PAGE
        page.route.content_type = "text/html; charset=utf-8"
    summary = crawl(served.source, sqlite_engine)[0]
    assert summary.failed
    with transaction(sqlite_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.source_id, run.outcome, run.items_parsed) == (source_id, expected["outcome"], 0)
        assert run.error is not None
        assert source_id in run.error
        assert expected["error"] in run.error
    assert count_rows(sqlite_engine, StoredPublication) == 0


def fixture_text(source_id: str, name: str) -> str:
    return (FIXTURES / source_id / name).read_text(encoding="utf-8")


def test_indiaai_reads_the_state_older_angular_wrote_html_escaped(pages: PageServer) -> None:
    served = serve(pages, "in_indiaai_articles")
    page = fixture_text("in_indiaai_articles", "articles-all.html")
    start = page.index('<script id="ng-state"')
    state = page[page.index(">", start) + 1 : page.index("</script>", start)]
    escaped = state.replace("&", "&a;").replace('"', "&q;").replace("'", "&s;")
    served.replace("articles-all.html", page.replace(state, escaped).encode("utf-8"))
    summary = crawl(served.source, None)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 6)
    assert summary.items[0].title == EXPECTATIONS["in_indiaai_articles"]["first_two"][0]["title"]


def test_indiaai_state_without_the_list_names_the_answers_it_holds(pages: PageServer) -> None:
    served = serve(
        pages,
        "in_indiaai_articles",
        api={**configured("in_indiaai_articles").api.model_dump(), "items_path": "articles"},
    )  # type: ignore[union-attr]
    summary = crawl(served.source, None)[0]
    assert summary.failed
    assert summary.error is not None
    assert "no embedded API answer holds a list at 'articles'" in summary.error
    assert "https://indiaai.gov.in/api/article/list?category=all&page=1&limit=6" in summary.error


def test_chisa_keeps_only_this_sections_documents(pages: PageServer) -> None:
    page = fixture_text("cn_chisa_talents", "index.html")
    assert "../general/202611/t20261112_2111539102.html" in page  # a sidebar link, not an item
    items = crawl(serve(pages, "cn_chisa_talents").source, None)[0].items
    assert all("/talents/" in item.url for item in items)
    assert len({item.url for item in items}) == len(items) == 8


def test_chisa_a_link_whose_folder_and_day_disagree_is_rejected_alone(pages: PageServer) -> None:
    served = serve(pages, "cn_chisa_talents")
    page = fixture_text("cn_chisa_talents", "index.html")
    broken = page.replace(
        "./202611/t20261110_2111538204.html", "./202610/t20261110_2111538204.html"
    )
    served.replace("index.html", broken.encode("utf-8"))
    summary = crawl(served.source, None)[0]
    assert (summary.outcome, summary.items_invalid, len(summary.items)) == ("partial", 1, 7)
    assert summary.error is not None
    assert "folder and day disagree" in summary.error


def test_chisa_a_picture_link_and_another_sites_talents_link_are_not_items(
    pages: PageServer,
) -> None:
    served = serve(pages, "cn_chisa_talents")
    page = fixture_text("cn_chisa_talents", "index.html")
    picture = '<a href="./202611/t20261113_2111539517.html"><img src="/x.jpg" alt="" /></a>\n'
    elsewhere = '<a href="http://www.jyb.cn/talents/202611/t20261112_2111539000.html">别处</a>\n'
    first_row = page.index('<div class="hnews block nopic">')
    served.replace(
        "index.html",
        (page[:first_row] + picture + elsewhere + page[first_row:]).encode("utf-8"),
    )
    items = crawl(served.source, None)[0].items
    assert len(items) == 8
    assert items[0].title == EXPECTATIONS["cn_chisa_talents"]["first_two"][0]["title"]


def test_indiaai_records_without_the_configured_fields_name_their_keys(
    pages: PageServer,
) -> None:
    served = serve(pages, "in_indiaai_articles")
    page = fixture_text("in_indiaai_articles", "articles-all.html")
    served.replace(
        "articles-all.html", page.replace('"published_date"', '"created_at"').encode("utf-8")
    )
    summary = crawl(served.source, None)[0]
    assert summary.failed
    assert summary.error is not None
    assert "the records have no published_date (their keys: id, title, slug," in summary.error
    assert "created_at" in summary.error
