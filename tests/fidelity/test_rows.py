"""Row isolation, in-page duplicates, several templates and the shown date, on list pages
and feeds served over HTTP on 127.0.0.1."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from crawler.sources import SourceConfig
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer, Route

ROWS = """<html><head><meta charset="utf-8"><title>Press</title></head><body>
<div class="menu"><a href="/">Home</a> <span>2026-03-01</span></div>
<ul class="news">{rows}</ul>
</body></html>"""
GOOD = '<li><a href="/p/{n}.html">Release {n}</a><span>2026-03-{n:02d}</span></li>'


def listing(url: str, **extra: Any) -> SourceConfig:
    fields: dict[str, Any] = {
        "id": "xx_test_list",
        "kind": "list_page",
        "urls": [url],
        "list": {
            "item": "ul.news > li",
            "title": "a ::text",
            "link": "a::attr(href)",
            "date": "span::text",
        },
    }
    return make_source(**{**fields, **extra})


def serve(pages: PageServer, rows: list[str]) -> str:
    return pages.route("/press/", Route(ROWS.format(rows="\n".join(rows)).encode()))


def test_unreadable_rows_are_recorded_and_the_rows_after_them_read(pages: PageServer) -> None:
    url = serve(
        pages,
        [
            GOOD.format(n=1),
            '<li><a href="/p/2.html">No date here</a></li>',
            '<li><a href="/p/3.html">Odd date</a><span>sometime soon</span></li>',
            "<li>A row without a link <span>2026-03-04</span></li>",
            *(GOOD.format(n=n) for n in range(5, 10)),
        ],
    )
    summary = crawl(listing(url), None)[0]
    assert summary.outcome == "partial"
    assert [item.title for item in summary.items] == ["Release 1"] + [
        f"Release {n}" for n in range(5, 10)
    ]
    assert summary.items_invalid == 3
    error = summary.error or ""
    assert "3 invalid items" in error
    assert f"{pages.url('/p/2.html')}: cannot read date '': the row shows no date" in error
    assert "cannot read date 'sometime soon'" in error
    assert "row 4: a row has no link at 'a::attr(href)'" in error


def test_a_page_whose_rows_are_mostly_unreadable_fails(pages: PageServer) -> None:
    bad = '<li><a href="/p/{n}.html">Undated {n}</a><span>soon</span></li>'
    url = serve(pages, [GOOD.format(n=1), *(bad.format(n=n) for n in range(2, 5))])
    summary = crawl(listing(url), None)[0]
    assert summary.outcome == "parse_error"
    assert "most items were invalid" in (summary.error or "")


def test_a_row_listed_twice_is_emitted_once_and_counted(pages: PageServer) -> None:
    url = serve(pages, [GOOD.format(n=1), GOOD.format(n=2), GOOD.format(n=1)])
    summary = crawl(listing(url), None)[0]
    assert summary.outcome == "ok"
    assert [item.title for item in summary.items] == ["Release 1", "Release 2"]
    assert summary.repeated == 1


def test_second_selector_set_reads_an_older_template(pages: PageServer) -> None:
    older = """<html><body><table class="board"><tbody>
    <tr><td class="t"><a href="/old/7.html">Older release</a></td><td>2026.02.07</td></tr>
    <tr><td class="t"><a href="/old/6.html">Oldest release</a></td><td>2026.02.06</td></tr>
    </tbody></table></body></html>"""
    url = pages.route("/archive/", Route(older.encode()))
    templates = [
        {
            "item": "ul.news > li",
            "title": "a ::text",
            "link": "a::attr(href)",
            "date": "span::text",
        },
        {
            "item": "table.board tbody tr",
            "title": "td.t a::text",
            "link": "td.t a::attr(href)",
            "date": "td:nth-child(2)::text",
        },
    ]
    source = listing(url, list=templates)
    assert len(source.list_templates) == 2
    summary = crawl(source, None)[0]
    assert summary.outcome == "ok"
    assert [(item.title, item.published) for item in summary.items] == [
        ("Older release", date(2026, 2, 7)),
        ("Oldest release", date(2026, 2, 6)),
    ]
    current = serve(pages, [GOOD.format(n=3)])
    assert [i.title for i in crawl(listing(current, list=templates), None)[0].items] == [
        "Release 3"
    ]


def test_the_shown_local_day_wins_over_a_utc_attribute(pages: PageServer) -> None:
    rows = [
        # 03:00 UTC on the 10th is the evening of the 9th in New York, as shown: kept.
        '<li><a href="/p/1.html">Evening</a> <time datetime="2026-03-10T03:00:00Z">March 9, '
        "2026</time></li>",
        # 12:00 UTC on the 10th is the 10th in New York, but the row shows the 9th: the 9th.
        '<li><a href="/p/2.html">Mismatch</a> <time datetime="2026-03-10T12:00:00Z">March 9, '
        "2026</time></li>",
    ]
    url = serve(pages, rows)
    source = listing(
        url,
        timezone="America/New_York",
        list={
            "item": "ul.news > li",
            "title": "a ::text",
            "link": "a::attr(href)",
            "date": "time::attr(datetime)",
        },
    )
    summary = crawl(source, None)[0]
    assert summary.outcome == "ok"
    evening, mismatch = summary.items
    assert evening.published == datetime(2026, 3, 9, 23, 0, tzinfo=ZoneInfo("America/New_York"))
    assert mismatch.published == date(2026, 3, 9)


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns="http://purl.org/rss/1.0/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="{base}/"><title>新着情報</title><link>{base}/</link><description>d</description>
<items><rdf:Seq><rdf:li rdf:resource="{base}/a.html"/><rdf:li rdf:resource="{base}/b.html"/>
<rdf:li rdf:resource="{base}/a.html"/></rdf:Seq></items></channel>
<item rdf:about="{base}/a.html"><title>令和8年度予算の概要</title><link>{base}/a.html</link>
<description>令和8年度予算の概要</description><dc:date>2026-11-27T10:00:00+09:00</dc:date></item>
<item rdf:about="{base}/b.html"><title>大臣会見</title><link>{base}/b.html</link>
<description>大臣の記者会見の記録です。</description><dc:date>2026-11-26T17:00:00+09:00</dc:date></item>
<item rdf:about="{base}/a.html"><title>令和8年度予算の概要</title><link>{base}/a.html</link>
<description>令和8年度予算の概要</description><dc:date>2026-11-27T10:00:00+09:00</dc:date></item>
</rdf:RDF>"""


def test_feed_repeating_an_entry_lists_it_once_and_drops_a_title_echo(
    pages: PageServer,
) -> None:
    base = pages.url("/news")
    url = pages.route(
        "/news/index.rdf",
        Route(FEED.format(base=base).encode(), content_type="application/rdf+xml"),
    )
    source = make_source(urls=[url], language="ja", timezone="Asia/Tokyo")
    summary = crawl(source, None)[0]
    assert summary.outcome == "ok"
    assert [item.url for item in summary.items] == [f"{base}/a.html", f"{base}/b.html"]
    assert summary.repeated == 1
    echo, kept = summary.items
    assert echo.summary is None
    assert kept.summary == "大臣の記者会見の記録です。"
