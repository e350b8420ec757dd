"""jp_mext_news_list: MEXT's 新着情報 HTML list (UTF-8 and Shift_JIS), from its fixtures."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select

from crawler.items import PublicationItem
from storage.db import transaction
from storage.models import CrawlRun
from tests.crawling import crawl, outbox_count
from tests.servers.pages import PageServer
from tests.sourcepack import ServedSource, fixture_bytes, serve_source

SOURCE_ID = "jp_mext_news_list"
PUBLISHER = "Ministry of Education, Culture, Sports, Science and Technology (MEXT)"
NEW_ROW = """<li>
                    <div class="area_tag tag2">
                      <span class="tag contents_fieldicon_02">科学技術・学術</span>
                      <span class="tag genre_13">報道発表</span>
                    </div>
                    <span class="link"><a href="/b_menu/houdou/mext_01729.html">量子コンピュータ人材育成について</a></span>
                  </li>
                  """


def served_as_shift_jis(pages: PageServer) -> ServedSource:
    served = serve_source(pages, SOURCE_ID)
    served.replace("index.html", fixture_bytes(SOURCE_ID, "index-sjis.html"))
    served.page("index.html").route.content_type = "text/html"  # no charset parameter
    return served


def check_known_items(pages: PageServer, items: list[PublicationItem]) -> None:
    assert len(items) == 22
    assert items[0].model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": pages.url("/b_menu/houdou/mext_01728.html"),
        "title": "量子技術イノベーション拠点の新規採択について",
        "published": date(2026, 11, 27),
        "native_id": None,
        "language": "ja",
        "country": "JP",
        "publisher": PUBLISHER,
        "doc_type": "press_release",
        "summary": None,
        "attachments": [],
    }
    assert items[-1].model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": pages.url("/b_menu/houdou/mext_01715.html"),
        "title": "文化財デジタルアーカイブの国際公開について",
        "published": date(2026, 10, 29),
        "native_id": None,
        "language": "ja",
        "country": "JP",
        "publisher": PUBLISHER,
        "doc_type": "press_release",
        "summary": None,
        "attachments": [],
    }


def check_field_tags(items: list[PublicationItem]) -> None:
    # Field tags end the topics, after the keyword topics of the topics pipeline.
    assert items[0].topics[-1] == "科学技術・学術"
    assert items[-1].topics[-1] == "文化"


def test_list_gives_every_field(pages: PageServer) -> None:
    summary = crawl(serve_source(pages, SOURCE_ID).source, None)[0]
    assert summary.outcome == "ok"
    check_known_items(pages, summary.items)
    check_field_tags(summary.items)


def test_shift_jis_page_with_charset_only_in_meta(pages: PageServer) -> None:
    summary = crawl(served_as_shift_jis(pages).source, None)[0]
    assert summary.outcome == "ok"
    check_known_items(pages, summary.items)
    check_field_tags(summary.items)
    assert (
        summary.items[3].title
        == "科学技術・学術審議会 研究計画・評価分科会 宇宙開発利用部会（第１０２回）配付資料"
    )


def test_genres_tags_pdfs_and_era_dates(pages: PageServer) -> None:
    items = {i.title: i for i in crawl(serve_source(pages, SOURCE_ID).source, None)[0].items}
    fusion = items["核融合研究開発の推進に関する有識者会議報告書の公表について"]
    assert (fusion.doc_type, fusion.published) == ("press_release", date(2026, 11, 20))  # + 審議会
    minutes = items["中央教育審議会 初等中等教育分科会（第１６１回）議事録"]
    assert minutes.doc_type == "council"
    assert "教育" in minutes.topics
    press = items["文部科学大臣記者会見録（令和8年11月13日）"]
    assert (press.doc_type, press.published) == ("press_conference", date(2026, 11, 13))
    tax = items["試験研究を行う独立行政法人等に係る非課税措置（租税特別措置法第８４条の５）"]
    assert (tax.doc_type, tax.url) == (
        "tax",
        "https://www.mext.go.jp/a_menu/kaikei/zeisei/1420901_00009.htm",
    )
    survey = items["GIGAスクール構想の推進に関する調査結果（概要）"]  # trailing space stripped
    assert survey.doc_type == "other"
    assert [(a.url, a.media_type) for a in survey.attachments] == [
        (pages.url("/content/20261106-mxt_jyohoka01-000047322_02.pdf"), "application/pdf")
    ]
    shared = items["国立大学法人等の研究設備共用化に関する調査結果について"]
    assert shared.topics[-2:] == ["教育", "科学技術・学術"]
    # Nothing from the navigation or the 注目情報 box.
    assert not any(i.url.endswith(("mext_01701.html", "mext_01690.html")) for i in items.values())


def test_nothing_new_then_one_new_row_is_found_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served = serve_source(pages, SOURCE_ID)
    assert crawl(served.source, sqlite_engine)[0].items_new == 22
    assert crawl(served.source, sqlite_engine)[0].outcome == "not_modified"
    served.page("index.html").route.validators = False
    reread = crawl(served.source, sqlite_engine)[0]
    assert (reread.outcome, reread.items_new) == ("ok", 0)

    page = fixture_bytes(SOURCE_ID, "index.html").decode()
    first_heading = '<h3 class="information-date">令和8年11月27日</h3>'
    page = page.replace(
        first_heading,
        f'<h3 class="information-date">令和8年11月30日</h3>\n<ul class="news_list">{NEW_ROW}</ul>\n'
        + first_heading,
    )
    served.replace("index.html", page.encode())
    found = crawl(served.source, sqlite_engine)[0]
    assert (found.outcome, found.items_parsed, found.items_new) == ("ok", 23, 1)
    assert outbox_count(sqlite_engine) == 1
    assert crawl(served.source, sqlite_engine)[0].items_new == 0
    assert outbox_count(sqlite_engine) == 1


@pytest.mark.parametrize(
    ("old", "new", "outcome", "reason"),
    [
        ('class="dateList icon"', 'class="newsArchive"', "empty", "no rows matched"),
        (
            '<h3 class="information-date">',
            '<h3 class="day">',
            "parse_error",
            "no h3.information-date",
        ),
    ],
)
def test_redesigned_list_is_a_failed_run(
    pages: PageServer, sqlite_engine: Engine, old: str, new: str, outcome: str, reason: str
) -> None:
    served = serve_source(pages, SOURCE_ID)
    page = fixture_bytes(SOURCE_ID, "index.html").decode().replace(old, new)
    served.replace("index.html", page.encode())
    assert crawl(served.source, sqlite_engine)[0].outcome == outcome
    with transaction(sqlite_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.outcome == outcome
        assert run.error is not None
        assert reason in run.error
        assert "jp_mext_news_list" in run.error
