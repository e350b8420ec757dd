"""cn_beijing_policy: the 政策文件 list, its second page and one detail page, from fixtures.

Only one detail page was saved; the other detail pages answer 404, which must cost those
items their extra fields and nothing else.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from crawler.items import Attachment
from storage.db import transaction
from storage.models import CrawlRun
from tests.crawling import crawl, outbox_count
from tests.servers.pages import PageServer
from tests.sourcepack import ServedSource, fixture_bytes, serve_source

SOURCE_ID = "cn_beijing_policy"
LIST = "/zhengce/zhengcefagui/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_ROW = (
    '<li><a href="./202611/t20261130_4972001.html" target="_blank" '
    'title="北京市人民政府关于印发《北京市量子信息产业发展行动计划》的通知">北京市人民政府关于印发《北京市量子信息产业发…</a>'
    "<span>2026-11-30</span></li>\n\t\t\t\t"
)


def served(pages: PageServer) -> ServedSource:
    # The saved pager has 212 pages but only two were saved: read at most two.
    return serve_source(pages, SOURCE_ID, max_pages=2)


def test_first_page_gives_every_field(pages: PageServer) -> None:
    summary = crawl(served(pages).source, None)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 20)
    items = {item.native_id: item for item in summary.items}
    assert len(items) == 20
    assert items["4968815"].model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": pages.url(LIST + "202611/t20261127_4968815.html"),
        "title": "北京市人民政府关于印发《北京市加快建设具有全球影响力的人工智能创新策源地实施方案"
        "（2026—2028年）》的通知",
        "published": date(2026, 11, 27),
        "native_id": "4968815",
        "language": "zh",
        "country": "CN",
        "publisher": "Beijing Municipal People's Government",  # its detail page failed (404)
        "doc_type": "notice",
        "summary": None,
        "attachments": [],
    }
    assert items["4951273"].model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": pages.url(LIST + "202611/t20261118_4951273.html"),
        "title": "北京市人民政府办公厅关于印发《北京市促进具身智能机器人产业创新发展若干措施》的通知",
        "published": datetime(2026, 11, 18, 17, 32, tzinfo=SHANGHAI),  # detail PubDate
        "native_id": "4951273",
        "language": "zh",
        "country": "CN",
        "publisher": "北京市人民政府办公厅",  # meta ContentSource
        "doc_type": "notice",
        "summary": "为加快具身智能机器人产业创新发展，经市政府同意，现将《北京市促进具身智能机器人产业"
        "创新发展若干措施》印发给你们，请认真贯彻落实。",
        "attachments": [
            Attachment(
                url=pages.url(LIST + "202611/P020261118586423190517.pdf"),
                title="北京市促进具身智能机器人产业创新发展若干措施.pdf",
                media_type="application/pdf",
            ).model_dump()
        ],
    }


def test_rows_dates_types_and_noise(pages: PageServer) -> None:
    items = crawl(served(pages).source, None)[0].items
    urls = [item.url for item in items]
    assert not any("javascript" in url or "/zcjd/" in url for url in urls)  # 更多, side boxes
    assert all(url.startswith(pages.url(LIST + "202611/t2026")) for url in urls)
    assert not any(item.title.endswith("…") or item.title.startswith("是") for item in items)
    by_id = {item.native_id: item for item in items}
    assert by_id["4940067"].doc_type == "approval"  # …的批复
    assert by_id["4961120"].doc_type == "opinion"  # …的若干意见
    assert by_id["4920789"].doc_type == "decision"
    assert by_id["4953016"].doc_type == "circular"
    for item in items:
        if item.native_id != "4951273":
            assert type(item.published) is date


def test_detail_pages_are_read_one_by_one_with_the_list_as_referer(pages: PageServer) -> None:
    source = served(pages).source
    summary = crawl(source, None)[0]
    assert summary.outcome == "ok"  # nine detail pages answered 404
    assert summary.http_statuses == {"200": 2, "404": 9}
    details = [hit for hit in pages.requests if "/t2026" in hit.path]
    assert len(details) == 10
    assert {hit.headers.get("Referer") for hit in details} == {pages.url(LIST)}
    assert pages.hits(LIST)[0].headers.get("Referer") == source.headers["Referer"]


def test_backfill_reads_index_1(pages: PageServer) -> None:
    summary = crawl(served(pages).source, None, backfill=True)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 35)
    assert pages.hits(LIST + "index_1.html")
    by_id = {item.native_id: item for item in summary.items}
    assert by_id["4918650"].model_dump(include={"title", "url", "published"}) == {
        "title": "北京市经济和信息化局关于公布北京市第六批专精特新“小巨人”企业名单的通知",
        "url": pages.url(LIST + "202611/t20261102_4918650.html"),
        "published": date(2026, 11, 2),
    }
    last = by_id["4878041"]
    assert (last.title, last.published) == (
        "北京市交通委员会关于推进自动驾驶汽车道路测试与示范应用的通知",
        date(2026, 10, 12),
    )


def test_gbk_page_with_charset_only_in_meta(pages: PageServer) -> None:
    source = served(pages)
    source.replace("index.html", fixture_bytes(SOURCE_ID, "index-gbk.html"))
    source.page("index.html").route.content_type = "text/html"
    summary = crawl(source.source, None)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 20)
    titles = {item.native_id: item.title for item in summary.items}
    assert titles["4968815"] == (
        "北京市人民政府关于印发《北京市加快建设具有全球影响力的人工智能创新策源地实施方案"
        "（2026—2028年）》的通知"
    )


def test_nothing_new_then_one_new_row_is_found_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    source = served(pages)
    assert crawl(source.source, sqlite_engine)[0].items_new == 35
    again = crawl(source.source, sqlite_engine)[0]
    assert (again.outcome, again.items_new) == ("not_modified", 0)
    source.page("index.html").route.validators = False
    reread = crawl(source.source, sqlite_engine)[0]
    assert (reread.outcome, reread.items_new) == ("ok", 0)

    page = fixture_bytes(SOURCE_ID, "index.html").decode()
    first_row = '<li><i class="flag">是</i><a href="./202611/t20261127_4968815.html"'
    source.replace("index.html", page.replace(first_row, NEW_ROW + first_row, 1).encode())
    found = crawl(source.source, sqlite_engine)[0]
    assert (found.outcome, found.items_new) == ("ok", 1)
    assert outbox_count(sqlite_engine) == 1
    assert crawl(source.source, sqlite_engine)[0].items_new == 0
    assert outbox_count(sqlite_engine) == 1


def test_redesigned_list_is_a_failed_run(pages: PageServer, sqlite_engine: Engine) -> None:
    source = served(pages)
    page = fixture_bytes(SOURCE_ID, "index.html").decode()
    source.replace("index.html", page.replace('class="default_news"', 'class="news_list"').encode())
    assert crawl(source.source, sqlite_engine)[0].outcome == "empty"
    with transaction(sqlite_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.outcome == "empty"
        assert run.error is not None
        assert f"cn_beijing_policy: {pages.url(LIST)}: no rows matched 'ul.default_news > li'" in (
            run.error
        )


def test_row_without_title_attribute_and_cut_text_is_a_failed_run(pages: PageServer) -> None:
    source = served(pages)
    page = fixture_bytes(SOURCE_ID, "index.html").decode().replace(" title=", " data-t=")
    source.replace("index.html", page.encode())
    summary = crawl(source.source, None)[0]
    # Every row is unreadable: each is recorded with its reason, and the run fails.
    assert summary.outcome == "parse_error"
    assert summary.error is not None
    assert "no title attribute and its text is cut" in summary.error
