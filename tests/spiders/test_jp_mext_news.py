"""jp_mext_news: MEXT's 新着情報 RSS 1.0 (RDF) feed, read by the generic FeedSpider."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import CrawlRun
from tests.crawling import crawl, outbox_count
from tests.servers.pages import PageServer
from tests.sourcepack import fixture_bytes, serve_source

SOURCE_ID = "jp_mext_news"
JST = timezone(timedelta(hours=9))
NEW_ITEM = """<item rdf:about="https://www.mext.go.jp/b_menu/houdou/mext_01729.html">
		<title>量子コンピュータ人材育成について</title>
		<link>https://www.mext.go.jp/b_menu/houdou/mext_01729.html</link>
		<description></description>
		<dc:date>2026-11-30T10:00:00+09:00</dc:date>
	</item>
	""".encode()


def test_feed_items_have_every_field(pages: PageServer) -> None:
    summary = crawl(serve_source(pages, SOURCE_ID).source, None)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 15)
    first, _, pdf = summary.items[:3]
    assert first.model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": "https://www.mext.go.jp/b_menu/houdou/mext_01728.html",
        "title": "量子技術イノベーション拠点の新規採択について",
        "published": datetime(2026, 11, 27, 19, 0, tzinfo=JST),
        "native_id": "https://www.mext.go.jp/b_menu/houdou/mext_01728.html",
        "language": "ja",
        "country": "JP",
        "publisher": "Ministry of Education, Culture, Sports, Science and Technology (MEXT)",
        "doc_type": "press_release",  # from the /b_menu/houdou/ path
        "summary": None,  # <description> is always empty
        "attachments": [],
    }
    pdf_url = "https://www.mext.go.jp/content/20261127-mxt_kagsei-000047815_01.pdf"
    pdf_title = "令和8年度補正予算（案）における科学技術関係経費の概要（PDF）"
    assert pdf.model_dump(
        include={"url", "title", "published", "summary", "doc_type", "attachments"}
    ) == {
        "url": pdf_url,
        "title": pdf_title,
        "published": datetime(2026, 11, 27, 17, 0, tzinfo=JST),
        "summary": None,
        "doc_type": "document",
        "attachments": [
            {"url": pdf_url, "title": pdf_title, "media_type": "application/pdf", "size": None}
        ],
    }
    types = {
        urlsplit(item.url).path.split("/")[2]: item.doc_type
        for item in summary.items
        if urlsplit(item.url).path.startswith("/b_menu/")
    }
    assert types == {
        "houdou": "press_release",
        "daijin": "press_conference",
        "shingi": "council",
        "toukei": "statistics",
    }
    assert {item.doc_type for item in summary.items if "/a_menu/" in item.url} == {"news"}
    last = summary.items[-1]
    assert (last.title, last.published) == (
        "スポーツ・エンジニアリング推進事業の採択結果について",
        datetime(2026, 11, 20, 14, 30, tzinfo=JST),
    )
    for item in summary.items:
        assert isinstance(item.published, datetime)
        assert item.published.utcoffset() == timedelta(hours=9)


def test_nothing_new_then_one_new_item_is_found_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served = serve_source(pages, SOURCE_ID)
    assert crawl(served.source, sqlite_engine)[0].items_new == 15
    assert crawl(served.source, sqlite_engine)[0].outcome == "not_modified"
    served.page("index.rdf").route.validators = False
    reread = crawl(served.source, sqlite_engine)[0]
    assert (reread.outcome, reread.items_parsed, reread.items_new) == ("ok", 15, 0)

    body = fixture_bytes(SOURCE_ID, "index.rdf")
    served.replace("index.rdf", body.replace(b"<item ", NEW_ITEM + b"<item ", 1))
    found = crawl(served.source, sqlite_engine)[0]
    assert (found.outcome, found.items_parsed, found.items_new) == ("ok", 16, 1)
    assert outbox_count(sqlite_engine) == 1
    assert crawl(served.source, sqlite_engine)[0].items_new == 0
    assert outbox_count(sqlite_engine) == 1


def test_feed_replaced_by_html_is_a_parse_error(pages: PageServer, sqlite_engine: Engine) -> None:
    served = serve_source(pages, SOURCE_ID)
    served.replace("index.rdf", fixture_bytes("jp_mext_news_list", "index.html"))
    served.page("index.rdf").route.content_type = "text/html; charset=UTF-8"
    assert crawl(served.source, sqlite_engine)[0].outcome == "parse_error"
    with transaction(sqlite_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.outcome == "parse_error"
        assert run.error is not None
        assert run.error.startswith(f"jp_mext_news: {pages.url('/b_menu/news/index.rdf')}: ")
        assert "compare with tests/fixtures/jp_mext_news/" in run.error
