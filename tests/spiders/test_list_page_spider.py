"""ListPageSpider and the failure shapes every base spider must record with a reason."""

from __future__ import annotations

import ipaddress
import socket
from datetime import date

import pytest
from sqlalchemy import Engine, select

from crawler.sources import SourceConfig
from storage.db import transaction
from storage.models import CrawlRun
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer, Route

LIST_PAGE = """<html><head>{meta}<title>{heading}</title></head><body>
<div class="nav"><ul><li><a href="/">首页</a><span>2026-01-01</span></li></ul></div>
<ul class="default_news">
<li><i class="flag"></i><a href="./202603/t20260310_1.html" title="{title1}">{title1_short}</a><span>2026-03-10</span></li>
<li><a href="./202603/t20260309_2.html" title="关于印发量子信息产业措施的通知">关于印发量子...</a><span>2026-03-09</span></li>
<li><a href="javascript:void(0)">更多</a></li>
</ul></body></html>"""
TITLE1 = "北京市关于加快人工智能创新发展的实施意见"


def page(charset_meta: str = '<meta charset="utf-8">') -> str:
    return LIST_PAGE.format(
        meta=charset_meta, heading="政策文件", title1=TITLE1, title1_short=TITLE1[:8] + "..."
    )


def beijing_like(url: str, **extra: object) -> SourceConfig:
    return make_source(
        id="cn_test_list",
        kind="list_page",
        urls=[url],
        country="CN",
        language="zh",
        timezone="Asia/Shanghai",
        list={
            "item": "ul.default_news > li",
            "title": "a::attr(title)",
            "link": "a::attr(href)",
            "date": "span::text",
        },
        **extra,
    )


def test_rows_become_items_with_full_titles_and_absolute_urls(pages: PageServer) -> None:
    url = pages.route("/zhengce/", Route(page().encode("utf-8")))
    summary = crawl(beijing_like(url), None)[0]
    assert summary.outcome == "ok"
    assert [item.title for item in summary.items] == [TITLE1, "关于印发量子信息产业措施的通知"]
    assert summary.items[0].url == pages.url("/zhengce/202603/t20260310_1.html")
    assert summary.items[0].published == date(2026, 3, 10)
    assert summary.items[1].language == "zh"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_charset_only_in_meta_decodes(pages: PageServer, encoding: str) -> None:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">'
    url = pages.route("/gbk/", Route(page(meta).encode(encoding), content_type="text/html"))
    assert crawl(beijing_like(url), None)[0].items[0].title == TITLE1


def test_shift_jis_with_charset_only_in_meta(pages: PageServer) -> None:
    html = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">
    </head><body><ul class="news"><li><a href="/a.html">量子技術イノベーション拠点の公募</a>
    <span>令和8年3月10日</span></li></ul></body></html>"""
    url = pages.route("/sjis/", Route(html.encode("shift_jis"), content_type="text/html"))
    source = make_source(
        kind="list_page",
        urls=[url],
        language="ja",
        timezone="Asia/Tokyo",
        list={
            "item": "ul.news > li",
            "title": "a::text",
            "link": "a::attr(href)",
            "date": "span::text",
        },
    )
    item = crawl(source, None)[0].items[0]
    assert (item.title, item.published) == ("量子技術イノベーション拠点の公募", date(2026, 3, 10))


def test_redesigned_page_is_a_failed_run_with_a_reason(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    url = pages.route("/zhengce/", Route(b"<html><body><div class='new-list'></div></body></html>"))
    summary = crawl(beijing_like(url), sqlite_engine)[0]
    assert summary.failed
    assert summary.outcome == "empty"
    assert summary.error is not None
    assert "no rows matched 'ul.default_news > li'" in summary.error
    assert "govwatch check cn_test_list" in summary.error
    with transaction(sqlite_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
    assert (run.outcome, run.http_statuses, run.items_parsed) == ("empty", {"200": 1}, 0)
    assert run.error == summary.error


def test_fewer_items_than_expected_is_empty(pages: PageServer) -> None:
    url = pages.route("/zhengce/", Route(page().encode("utf-8")))
    summary = crawl(beijing_like(url, expect={"min_items": 5}), None)[0]
    assert summary.outcome == "empty"
    assert "returned 2 items (expected at least 5)" in (summary.error or "")


@pytest.mark.parametrize(
    ("status", "outcome", "words"),
    [
        (404, "http_error", "HTTP 404"),
        (500, "http_error", "HTTP 500"),
        (403, "blocked", "HTTP 403: the site refused the request"),
        (429, "blocked", "HTTP 429"),
    ],
)
def test_http_errors(pages: PageServer, status: int, outcome: str, words: str) -> None:
    url = pages.route("/zhengce/", Route(b"error", status=status))
    summary = crawl(beijing_like(url), None)[0]
    assert (summary.outcome, summary.http_statuses) == (outcome, {str(status): 1})
    assert words in (summary.error or "")


def test_slow_response_is_a_timeout(pages: PageServer) -> None:
    url = pages.route("/zhengce/", Route(page().encode(), delay=3))
    summary = crawl(beijing_like(url), None, settings={"DOWNLOAD_TIMEOUT": 1})[0]
    assert summary.outcome == "timeout"
    assert "no answer within the download timeout" in (summary.error or "")


def test_oversized_body_is_refused(pages: PageServer) -> None:
    url = pages.route("/zhengce/", Route(page().encode() + b" " * 50_000))
    summary = crawl(beijing_like(url), None, settings={"DOWNLOAD_MAXSIZE": 10_000})[0]
    assert summary.outcome == "fetch_error"
    assert summary.error is not None


def test_connection_refused_is_a_fetch_error() -> None:
    summary = crawl(beijing_like("http://127.0.0.1:9/zhengce/"), None)[0]
    assert summary.outcome == "fetch_error"
    assert "127.0.0.1:9" in (summary.error or "")


def test_private_address_refused_unless_the_source_allows_it(pages: PageServer) -> None:
    url = pages.route("/zhengce/", Route(page().encode()))
    summary = crawl(beijing_like(url, allow_private_network=False), None)[0]
    assert summary.outcome == "blocked"
    assert "127.0.0.1 is a loopback address" in (summary.error or "")
    assert pages.requests == []


def test_referer_header_from_config_is_sent(pages: PageServer) -> None:
    url = pages.route("/zhengce/", Route(page().encode()))
    crawl(beijing_like(url, headers={"Referer": "https://www.beijing.gov.cn/zhengce/"}), None)
    sent = pages.hits("/zhengce/")[0].headers
    assert sent["Referer"] == "https://www.beijing.gov.cn/zhengce/"
    assert sent["User-Agent"].startswith("govwatch/")


def test_next_page_followed_only_on_backfill(pages: PageServer) -> None:
    first = page().replace("</body>", "<a class='next' href='index_1.html'>下一页</a></body>")
    second = page().replace("t20260310_1", "t20260301_3").replace("t20260309_2", "t20260228_4")
    url = pages.route("/zhengce/index.html", Route(first.encode()))
    pages.route("/zhengce/index_1.html", Route(second.encode()))
    selectors = {
        "item": "ul.default_news > li",
        "title": "a::attr(title)",
        "link": "a::attr(href)",
        "date": "span::text",
        "next_page": "a.next::attr(href)",
    }
    source = beijing_like(url, max_pages=2).model_copy(
        update={
            "list_selectors": SourceConfig.model_validate(
                {**beijing_like(url).model_dump(by_alias=True), "list": selectors}
            ).list_selectors
        }
    )
    assert crawl(source, None)[0].items_parsed == 2
    assert crawl(source, None, backfill=True)[0].items_parsed == 4


def test_unresolvable_host_says_so_and_points_to_the_demo() -> None:
    source = make_source(id="xx_nowhere", urls=["http://govwatch-test.invalid/feed.xml"])
    summary = crawl(source, None)[0]
    assert summary.outcome == "fetch_error"
    assert "the host name could not be resolved" in (summary.error or "")
    assert "govwatch demo" in (summary.error or "")


def test_a_host_name_that_resolves_to_a_private_address_is_refused(pages: PageServer) -> None:
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except socket.gaierror:
        pytest.skip(f"this machine's own name {name!r} does not resolve here")
    if not any(
        ipaddress.ip_address(address).is_loopback or ipaddress.ip_address(address).is_private
        for address in addresses
    ):
        pytest.skip(f"{name!r} resolves to public addresses {sorted(addresses)} here")
    url = pages.route("/zhengce/", Route(page().encode())).replace("127.0.0.1", name)
    summary = crawl(beijing_like(url, allow_private_network=False), None)[0]
    assert summary.outcome == "blocked"
    assert f"{name} resolves to" in (summary.error or "")
    assert pages.requests == []
