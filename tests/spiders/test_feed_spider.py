"""FeedSpider through the real runner: RSS 2.0, RDF, Atom; conditional GET; failures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import Engine, func, select

from crawler.items import PublicationItem
from storage.db import transaction
from storage.models import CrawlRun, UrlValidator
from tests.crawling import crawl, make_source, outbox_count
from tests.servers.pages import PageServer, Route

RSS_ITEM = """<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid>
<pubDate>{date}</pubDate><description>&lt;p&gt;{summary}&lt;/p&gt;</description></item>"""


def rss(items: list[dict[str, str]]) -> bytes:
    body = "".join(RSS_ITEM.format(**item) for item in items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://www.example.gov/</link>{body}</channel></rss>"
    ).encode()


def sample(n: int) -> dict[str, str]:
    return {
        "title": f"Policy item {n} &amp; more",
        "link": f"https://www.example.gov/news/item-{n}?utm_source=rss",
        "guid": f"https://www.example.gov/?p={1000 + n}",
        "date": datetime(2026, 3, n, 18, 1, 52, tzinfo=UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"),
        "summary": f"Summary {n}",
    }


class Feed:
    """A feed whose items a test can add to, served by the page server."""

    def __init__(self, pages: PageServer, count: int) -> None:
        self.items = [sample(n) for n in range(count, 0, -1)]
        self.url = pages.route(
            "/feed.xml", Route(lambda: rss(self.items), content_type="application/rss+xml")
        )

    def publish(self, n: int) -> None:
        self.items.insert(0, sample(n))


def test_rss_items_have_every_field(pages: PageServer) -> None:
    feed = Feed(pages, 3)
    summary = crawl(make_source(urls=[feed.url]), None)[0]
    assert summary.outcome == "ok"
    assert [item.title for item in summary.items] == [
        "Policy item 3 & more",
        "Policy item 2 & more",
        "Policy item 1 & more",
    ]
    first: PublicationItem = summary.items[0]
    assert first.url == "https://www.example.gov/news/item-3"
    assert first.native_id == "https://www.example.gov/?p=1003"
    assert first.published == datetime(2026, 3, 3, 18, 1, 52, tzinfo=UTC)
    assert first.summary == "Summary 3"
    assert (first.country, first.publisher, first.language) == ("US", "Test Publisher", "en")


def test_baseline_is_silent_then_one_new_item_alerts_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    feed = Feed(pages, 3)
    source = make_source(urls=[feed.url])
    baseline = crawl(source, sqlite_engine)[0]
    assert (baseline.outcome, baseline.items_new, baseline.is_baseline) == ("ok", 3, True)
    assert outbox_count(sqlite_engine) == 0

    unchanged = crawl(source, sqlite_engine)[0]
    assert unchanged.outcome == "not_modified"
    assert pages.hits("/feed.xml")[-1].headers.get("If-None-Match")

    feed.publish(4)
    found = crawl(source, sqlite_engine)[0]
    assert (found.outcome, found.items_parsed, found.items_new) == ("ok", 4, 1)
    assert outbox_count(sqlite_engine) == 1
    again = crawl(source, sqlite_engine)[0]
    assert again.items_new == 0
    assert outbox_count(sqlite_engine) == 1


def test_backfill_alerts_on_the_first_crawl(pages: PageServer, sqlite_engine: Engine) -> None:
    feed = Feed(pages, 2)
    crawl(make_source(urls=[feed.url]), sqlite_engine, backfill=True)
    assert outbox_count(sqlite_engine) == 2


def test_rdf_feed_with_dc_date(pages: PageServer) -> None:
    rdf = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns="http://purl.org/rss/1.0/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="ja">
<channel rdf:about="https://www.mext.go.jp/b_menu/news/index.rdf"><title>新着</title>
<link>https://www.mext.go.jp/</link><description/></channel>
<item rdf:about="https://www.mext.go.jp/b_menu/houdou/mext_01.html"><title>量子技術の公募について</title>
<link>https://www.mext.go.jp/b_menu/houdou/mext_01.html</link><dc:date>2026-03-10T17:00:00+09:00</dc:date></item>
</rdf:RDF>"""
    url = pages.route("/index.rdf", Route(rdf.encode(), content_type="application/rdf+xml"))
    summary = crawl(make_source(urls=[url], language="ja", timezone="Asia/Tokyo"), None)[0]
    item = summary.items[0]
    assert item.title == "量子技術の公募について"
    assert item.published == datetime(2026, 3, 10, 17, 0, tzinfo=timezone(timedelta(hours=9)))
    assert item.published.date() == date(2026, 3, 10)


def test_atom_feed(pages: PageServer) -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>GOV.UK</title><id>tag:gov.uk</id>
<updated>2026-03-10T09:30:00+00:00</updated>
<entry><id>https://www.gov.uk/government/news/ai-plan</id><title>AI plan published</title>
<link rel="alternate" type="text/html" href="https://www.gov.uk/government/news/ai-plan"/>
<updated>2026-03-10T09:30:00+00:00</updated><summary>The plan sets out 50 actions.</summary></entry>
</feed>"""
    url = pages.route("/f.atom", Route(atom.encode(), content_type="application/atom+xml"))
    item = crawl(make_source(urls=[url], country="GB"), None)[0].items[0]
    assert (item.title, item.summary) == ("AI plan published", "The plan sets out 50 actions.")
    assert item.published == datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def test_malformed_feed_is_a_parse_error_run(pages: PageServer, sqlite_engine: Engine) -> None:
    url = pages.route(
        "/feed.xml", Route(b"<html><body>Maintenance</body>", content_type="text/html")
    )
    summary = crawl(make_source(urls=[url]), sqlite_engine)[0]
    assert summary.outcome == "parse_error"
    assert summary.error is not None
    assert "xx_test_source" in summary.error
    with transaction(sqlite_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.outcome, run.items_parsed) == ("parse_error", 0)
        assert run.finished_at is not None
        assert session.scalar(select(func.count()).select_from(UrlValidator)) == 0


def test_entry_with_unreadable_date_is_recorded_not_dropped(pages: PageServer) -> None:
    items = [sample(2), {**sample(1), "date": "sometime soon"}]
    url = pages.route("/feed.xml", Route(rss(items), content_type="application/rss+xml"))
    summary = crawl(make_source(urls=[url]), None)[0]
    assert summary.outcome == "partial"
    assert summary.items_invalid == 1
    assert summary.error is not None
    assert "item-1" in summary.error
    assert "sometime soon" in summary.error
    assert [item.title for item in summary.items] == ["Policy item 2 & more"]


def test_failed_run_keeps_no_validators_so_next_run_refetches(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    items = [{**sample(1), "date": "bad"}]
    url = pages.route("/feed.xml", Route(rss(items), content_type="application/rss+xml"))
    source = make_source(urls=[url])
    assert crawl(source, sqlite_engine)[0].outcome == "parse_error"
    crawl(source, sqlite_engine)
    assert "If-None-Match" not in pages.hits("/feed.xml")[-1].headers
