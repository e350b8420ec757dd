"""The same document reached twice: stored once per source, alerted once.

Two White House section feeds carry the same post (one source, one guid); NSF's RSS and its
HTML list, and MEXT's RDF and its HTML list, are two sources each that list the same
documents. After a silent baseline, a crawl in which a new document appears in both places
must leave exactly one alert in the outbox.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import Publication as StoredPublication
from tests.crawling import crawl, outbox_count
from tests.servers.pages import PageServer
from tests.sourcepack import fixture_bytes, serve_source

WH_POST = b"""<item>
		<title>Fact Sheet: President Donald J. Trump Secures American Leadership in Fusion Energy</title>
		<link>https://www.whitehouse.gov/fact-sheets/2026/11/fact-sheet-president-donald-j-trump-secures-american-leadership-in-fusion-energy/</link>
		<pubDate>Thu, 26 Nov 2026 17:00:00 +0000</pubDate>
		<category><![CDATA[Briefings & Statements]]></category>
		<category><![CDATA[Fact Sheets]]></category>
		<guid isPermaLink="false">https://www.whitehouse.gov/?p=53770</guid>
		<description><![CDATA[<p>Today the President signed an action on fusion energy.</p>]]></description>
	</item>
	"""
NSF_TITLE = "NSF opens national quantum testbed to industry"
NSF_ITEM = f"""<item>
    <title>{NSF_TITLE}</title>
    <link>https://www.nsf.gov/news/nsf-national-quantum-testbed-industry</link>
    <description>Companies can now run experiments on the national quantum testbed.</description>
    <pubDate>Mon, 23 Nov 2026 22:00:00 -0500</pubDate>
    <guid isPermaLink="false">31890 at https://www.nsf.gov</guid>
  </item>
  """.encode()
NSF_ROW = f"""<div class="views-row"><article class="node">
  <div class="latest-news-teaser">
    <span class="latest-news-teaser__type">NSF News</span>
    <time datetime="2026-11-24T03:00:00Z" class="datetime">November 23, 2026</time>
    <div class="latest-news-teaser__headline"><h3><a href="/news/nsf-national-quantum-testbed-industry"><span class="field field--name-title">{NSF_TITLE}</span></a></h3></div>
    <div class="field-news-body"><p>Companies can now run experiments on the national quantum testbed.</p></div>
  </div></article></div>
""".encode()
MEXT_TITLE = "量子コンピュータ人材育成プログラムの採択について"
MEXT_ITEM = f"""<item rdf:about="https://www.mext.go.jp/b_menu/houdou/mext_01729.html">
		<title>{MEXT_TITLE}</title>
		<link>https://www.mext.go.jp/b_menu/houdou/mext_01729.html</link>
		<description></description>
		<dc:date>2026-11-30T17:00:00+09:00</dc:date>
	</item>
	""".encode()
MEXT_DAY = f"""<h3 class="information-date">令和8年11月30日</h3>
<ul class="news_list"><li>
  <div class="area_tag tag2"><span class="tag genre_13">報道発表</span></div>
  <span class="link"><a href="/b_menu/houdou/mext_01729.html">{MEXT_TITLE}</a></span>
</li></ul>
""".encode()


def stored_titled(engine: Engine, title: str) -> list[tuple[str, bool]]:
    """(source id, is a duplicate) of every stored publication with this title."""
    with transaction(engine) as session:
        rows = session.scalars(
            select(StoredPublication)
            .where(StoredPublication.title == title)
            .order_by(StoredPublication.source_id)
        )
        return [(row.source_id, row.duplicate_of is not None) for row in rows]


def test_post_in_two_white_house_feeds_is_stored_and_alerted_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served = serve_source(pages, "us_whitehouse")
    assert crawl(served.source, sqlite_engine)[0].is_baseline
    for file in ("fact-sheets-feed.xml", "briefings-statements-feed.xml"):
        body = fixture_bytes("us_whitehouse", file)
        served.replace(file, body.replace(b"<item>", WH_POST, 1))

    found = crawl(served.source, sqlite_engine)[0]
    assert (found.outcome, found.is_baseline, found.items_new) == ("ok", False, 1)
    title = "Fact Sheet: President Donald J. Trump Secures American Leadership in Fusion Energy"
    assert stored_titled(sqlite_engine, title) == [("us_whitehouse", False)]
    assert outbox_count(sqlite_engine) == 1


def test_nsf_release_in_feed_and_list_is_stored_per_source_and_alerted_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    feed = serve_source(pages, "us_nsf_news")
    listing = serve_source(pages, "us_nsf_news_list", max_pages=2)
    sources = [feed.source, listing.source]
    baseline = crawl(sources, sqlite_engine)
    assert [(run.outcome, run.is_baseline) for run in baseline] == [("ok", True)] * 2
    assert outbox_count(sqlite_engine) == 0

    feed_body = fixture_bytes("us_nsf_news", "rss_www_news.xml")
    feed.replace("rss_www_news.xml", feed_body.replace(b"<item>", NSF_ITEM + b"<item>", 1))
    marker = b'<div class="view-content">'
    list_body = fixture_bytes("us_nsf_news_list", "page0.html")
    listing.replace("page0.html", list_body.replace(marker, marker + NSF_ROW, 1))

    found = crawl(sources, sqlite_engine)
    assert [(run.source_id, run.outcome, run.items_new) for run in found] == [
        ("us_nsf_news", "ok", 1),
        ("us_nsf_news_list", "ok", 1),
    ]
    stored = stored_titled(sqlite_engine, NSF_TITLE)
    assert sorted(source for source, _ in stored) == ["us_nsf_news", "us_nsf_news_list"]
    assert sorted(duplicate for _, duplicate in stored) == [False, True]
    assert outbox_count(sqlite_engine) == 1


def test_mext_item_in_feed_and_list_is_stored_per_source_and_alerted_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    feed = serve_source(pages, "jp_mext_news")
    listing = serve_source(pages, "jp_mext_news_list")
    sources = [feed.source, listing.source]
    crawl(sources, sqlite_engine)
    # The two sources already share 15 documents; the baseline alerted none of them.
    assert outbox_count(sqlite_engine) == 0

    rdf = fixture_bytes("jp_mext_news", "index.rdf")
    feed.replace("index.rdf", rdf.replace(b"<item ", MEXT_ITEM + b"<item ", 1))
    first_day = '<h3 class="information-date">令和8年11月27日</h3>'.encode()
    html = fixture_bytes("jp_mext_news_list", "index.html")
    listing.replace("index.html", html.replace(first_day, MEXT_DAY + first_day, 1))

    found = crawl(sources, sqlite_engine)
    assert [(run.outcome, run.items_new) for run in found] == [("ok", 1), ("ok", 1)]
    stored = stored_titled(sqlite_engine, MEXT_TITLE)
    assert sorted(source for source, _ in stored) == ["jp_mext_news", "jp_mext_news_list"]
    assert sorted(duplicate for _, duplicate in stored) == [False, True]
    assert outbox_count(sqlite_engine) == 1
