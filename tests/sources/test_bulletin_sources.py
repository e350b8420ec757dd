"""The bulletin's last three publishers (EPO press releases, IndiaAI, 神州学人 talent news),
each crawled against its fixtures through the real runner.

What each must give is data, in ``bulletin_expectations.yaml``; the source pack's checks
(tests/sources/test_source_pack.py) read it too. This file holds each site's own cases.
"""

from __future__ import annotations

from tests.crawling import crawl
from tests.servers.pages import FIXTURES, PageServer
from tests.sourcepack import configured
from tests.sourcepack import serve_source as serve
from tests.sources.test_source_pack import BULLETIN as EXPECTATIONS

SOURCE_IDS = sorted(EXPECTATIONS)


def test_the_three_sources_are_enabled_and_have_fixtures() -> None:
    assert SOURCE_IDS == ["cn_chisa_talents", "in_indiaai_articles", "int_epo_press"]
    for source_id in SOURCE_IDS:
        assert configured(source_id).enabled
        assert configured(source_id).notes
        for name in ("serve.yaml", "SOURCE.md"):
            assert (FIXTURES / source_id / name).is_file(), f"{source_id}/{name}"


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
