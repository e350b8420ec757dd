"""Detail pages fetched by the crawl that stores a publication (crawler/detail_pages.py).

Real crawls of a feed served on 127.0.0.1 through the real runner: a new, alerting item
whose summary says no more than its title has its detail page fetched once, through the
crawl (its safety, robots.txt and slots), and the text (or why there is none) stored in
``publication_texts``, where the digest build finds it without fetching again. Requests are
counted on the server.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from crawler.app_config import AppConfig, DigestSettings
from crawler.digest.build import build_digest
from crawler.digest.fetch import DetailFetcher
from crawler.digest.period import Period
from storage import digests as store
from storage.db import transaction
from storage.models import PublicationText, UrlValidator
from tests.crawling import crawl, make_source, outbox_count
from tests.servers.pages import PageServer, Route

SENTENCES = (
    "Under notice {ref}, the Department of Commerce tightens export controls on advanced chips.",
    "The rule of notice {ref} applies to chips used for training large AI models from 2027.",
    "Companies named in notice {ref} must apply for a licence before shipping covered items.",
    "A public comment period on notice {ref} runs for sixty days.",
)


def sentences(ref: str) -> list[str]:
    return [sentence.format(ref=ref) for sentence in SENTENCES]


def detail_page(title: str, ref: str) -> bytes:
    """A detail page with navigation and a footer around its article. Each page's prose is
    its own (``ref``): trafilatura drops paragraphs it has seen too often in this process."""
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in sentences(ref))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '</head><body><header><nav><ul><li><a href="/0">Home</a></li><li><a href="/1">News'
        f"</a></li></ul></nav></header><main><article><h1>{title}</h1>"
        f'<p class="date">2026-11-24</p>{paragraphs}</article></main>'
        "<footer><p>© 2026 Home · Impressum</p></footer></body></html>"
    ).encode()


ITEM = """<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid>
<pubDate>{date}</pubDate><description>{summary}</description></item>"""


class Feed:
    """A feed served without validators (every crawl reads it in full), whose items link to
    pages of the same server unless a test gives another link."""

    def __init__(self, pages: PageServer, path: str = "/feed.xml") -> None:
        self.pages = pages
        self.token = uuid.uuid4().hex[:8]
        self.items: list[dict[str, str]] = []
        self.url = pages.route(
            path,
            Route(self._render, content_type="application/rss+xml", validators=False),
        )

    def _render(self) -> bytes:
        body = "".join(ITEM.format(**item) for item in self.items)
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
            f"<link>{self.pages.url('/')}</link>{body}</channel></rss>"
        ).encode()

    def title(self, n: int) -> str:
        return f"Export controls on chips, part {n}"

    def ref(self, n: int) -> str:
        return f"{self.token}-{n}"

    def page(self, n: int) -> Route:
        """Item ``n``'s detail page."""
        return Route(detail_page(self.title(n), self.ref(n)))

    def publish(self, n: int, *, summary: str | None = None, link: str | None = None) -> str:
        """Add item ``n`` (summary: its title unless given); return its link."""
        title = self.title(n)
        link = link or self.pages.url(f"/news/item-{n}.html")
        published = datetime.now(UTC) - timedelta(hours=1)
        self.items.insert(
            0,
            {
                "title": title,
                "link": link,
                "guid": f"item-{n}",
                "date": published.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                "summary": title if summary is None else summary,
            },
        )
        return link


def source_for(feed: Feed, source_id: str = "xx_detail") -> Any:
    return make_source(id=source_id, urls=[feed.url])


def serve_and_publish(feed: Feed, *numbers: int) -> None:
    """Items ``numbers``, each with its detail page served, added to the feed."""
    for n in numbers:
        feed.pages.route(f"/news/item-{n}.html", feed.page(n))
        feed.publish(n)


def watched_after_baseline(pages: PageServer, engine: Engine) -> tuple[Feed, Any]:
    """A feed with item 1 and its source, after the source's silent baseline."""
    feed = Feed(pages)
    serve_and_publish(feed, 1)
    source = source_for(feed)
    crawl(source, engine)
    return feed, source


def texts(engine: Engine) -> dict[str, PublicationText]:
    """The stored detail-page outcomes, by the publication's URL path."""
    with transaction(engine) as session:
        found = {}
        for publication in store.first_seen_between(
            session, datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1)
        ):
            text = store.main_texts(session, [publication.id]).get(publication.id)
            if text is not None:
                session.expunge(text)
                found[publication.url.split("/", 3)[-1]] = text
        return found


def detail_hits(pages: PageServer) -> list[str]:
    return [r.path for r in pages.requests if r.path.startswith(("/news/", "/private/"))]


def test_a_new_item_without_a_summary_has_its_page_fetched_once_by_the_crawl(
    engine: Engine, pages: PageServer
) -> None:
    feed = Feed(pages)
    for n in (1, 2):
        pages.route(f"/news/item-{n}.html", feed.page(n))
        feed.publish(n)
    source = source_for(feed)
    baseline = crawl(source, engine)[0]
    assert (baseline.outcome, baseline.is_baseline, baseline.items_new) == ("ok", True, 2)
    assert detail_hits(pages) == []  # a silent baseline fetches no detail page
    assert texts(engine) == {}

    pages.route("/news/item-3.html", feed.page(3))
    feed.publish(3)
    pages.route("/news/item-4.html", feed.page(4))
    feed.publish(4, summary="A summary that says much more than the title ever could.")
    found = crawl(source, engine)[0]
    assert (found.outcome, found.items_new, found.error) == ("ok", 2, None)
    assert outbox_count(engine) == 2
    assert detail_hits(pages) == ["/news/item-3.html"]  # item 4's summary is enough
    stored = texts(engine)
    assert set(stored) == {"news/item-3.html"}
    assert stored["news/item-3.html"].error is None
    assert sentences(feed.ref(3))[0] in (stored["news/item-3.html"].main_text or "")
    assert found.http_statuses == {"200": 1}  # the detail page is not the run's own URL
    with transaction(engine) as session:  # nor are its validators kept as the run's
        kept = list(session.scalars(select(UrlValidator.url)))
    assert not [url for url in kept if "/news/" in url]

    again = crawl(source, engine)[0]
    assert (again.outcome, again.items_new) == ("ok", 0)
    assert detail_hits(pages) == ["/news/item-3.html"]

    # The digest build finds item 3's text: no request for it, key points from the page.
    # (The baseline's items are not the week's news: not candidates, never fetched.)
    now = datetime.now(UTC) + timedelta(minutes=1)
    today = now.date()
    fetcher = DetailFetcher({source.id: source}, delay=0)
    result = build_digest(engine, Period(today - timedelta(days=1), today), now, fetcher)
    assert result.digest_id is not None
    assert detail_hits(pages) == ["/news/item-3.html"]
    with transaction(engine) as session:
        points = {p.url.rsplit("/", 1)[-1]: i.key_points for i, p in store.items(session, 1)}
    assert points["item-3.html"] == " ".join(sentences(feed.ref(3))[:3])


def test_a_detail_page_that_fails_is_recorded_and_the_run_succeeds(
    engine: Engine, pages: PageServer
) -> None:
    pages.route(
        "/robots.txt", Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    )
    feed = Feed(pages)
    pages.route("/news/item-1.html", feed.page(1))
    feed.publish(1)
    source = source_for(feed)
    crawl(source, engine)  # the baseline

    pages.route("/news/item-2.html", Route(b"gone", status=404))
    feed.publish(2)
    pages.route("/private/item-3.html", feed.page(3))
    feed.publish(3, link=pages.url("/private/item-3.html"))
    feed.publish(4, link="http://elsewhere.example/news/item-4.html")
    pages.route("/news/item-5.html", Route(b"%PDF-1.4 not html", content_type="application/pdf"))
    feed.publish(5)
    pages.route("/news/item-6.pdf", Route(b"%PDF-1.4", content_type="application/pdf"))
    feed.publish(6, link=pages.url("/news/item-6.pdf"))
    pages.route("/news/item-7.html", Route(b"<p>x</p>" + b" " * (2 * 1024 * 1024)))
    feed.publish(7)
    found = crawl(source, engine, settings={"GOVWATCH_DETAIL_PAGES_PER_SOURCE": 6})[0]
    assert (found.outcome, found.items_new, found.items_invalid, found.error) == ("ok", 6, 0, None)
    assert outbox_count(engine) == 6
    stored = texts(engine)
    assert set(stored) == {
        "news/item-2.html",
        "private/item-3.html",
        "news/item-4.html",
        "news/item-5.html",
        "news/item-6.pdf",
        "news/item-7.html",
    }
    assert all(text.main_text is None for text in stored.values())
    assert "HTTP 404" in (stored["news/item-2.html"].error or "")
    assert "robots.txt" in (stored["private/item-3.html"].error or "")
    assert "outside the source's allowed_domains" in (stored["news/item-4.html"].error or "")
    assert "not an HTML page (application/pdf)" in (stored["news/item-5.html"].error or "")
    assert "is a PDF" in (stored["news/item-6.pdf"].error or "")
    assert "larger than download max size" in (stored["news/item-7.html"].error or "")
    # robots.txt and the foreign host are refused before a connection; a .pdf link is not
    # asked for at all
    assert sorted(detail_hits(pages)) == [
        "/news/item-2.html",
        "/news/item-5.html",
        "/news/item-7.html",
    ]


def test_at_most_the_cap_of_detail_pages_per_source_and_run(
    engine: Engine, pages: PageServer
) -> None:
    feed, source = watched_after_baseline(pages, engine)
    serve_and_publish(feed, 2, 3, 4, 5)
    found = crawl(source, engine, settings={"GOVWATCH_DETAIL_PAGES_PER_SOURCE": 2})[0]
    assert (found.outcome, found.items_new) == ("ok", 4)
    assert len(detail_hits(pages)) == 2
    assert len(texts(engine)) == 2  # the other two are left to the digest build

    # The build fetches only those the crawl left without an attempt.
    now = datetime.now(UTC) + timedelta(minutes=1)
    fetcher = DetailFetcher({source.id: source}, delay=0)
    build_digest(engine, Period(now.date() - timedelta(days=1), now.date()), now, fetcher)
    hits = detail_hits(pages)  # not the baseline's item: it is no candidate
    assert sorted(hits) == [f"/news/item-{n}.html" for n in range(2, 6)]
    stored = texts(engine)
    assert len(stored) == 4
    assert all(text.main_text for text in stored.values())


def test_a_host_asking_for_a_long_crawl_delay_gives_no_detail_page(
    engine: Engine, pages: PageServer
) -> None:
    pages.route("/robots.txt", Route(b"User-agent: *\nCrawl-delay: 2\n", content_type="text/plain"))
    feed, source = watched_after_baseline(pages, engine)
    serve_and_publish(feed, 2)
    found = crawl(source, engine, settings={"GOVWATCH_DETAIL_MAX_CRAWL_DELAY": 1})[0]
    assert (found.outcome, found.items_new) == ("ok", 1)
    assert detail_hits(pages) == []
    error = texts(engine)["news/item-2.html"].error or ""
    assert "robots.txt asks for 2 s between requests" in error


def test_check_runs_and_switched_off_fetching_fetch_no_detail_page(
    engine: Engine, pages: PageServer
) -> None:
    feed, source = watched_after_baseline(pages, engine)
    serve_and_publish(feed, 2)
    checked = crawl(source, engine, dry_run=True)[0]
    assert len(checked.items) == 2
    off = AppConfig(digest=DigestSettings(fetch_detail_pages=False))
    found = crawl(source, engine, app_config=off)[0]
    assert found.items_new == 1
    assert outbox_count(engine) == 1
    assert detail_hits(pages) == []
    assert texts(engine) == {}


def test_a_cross_source_duplicate_does_not_fetch_the_page_again(
    engine: Engine, pages: PageServer
) -> None:
    first, second = Feed(pages, "/a.xml"), Feed(pages, "/b.xml")
    for feed in (first, second):
        feed.publish(0, link=pages.url(f"/news/{feed.token}-0.html"))
    sources = [source_for(first, "xx_detail_a"), source_for(second, "xx_detail_b")]
    crawl(sources, engine)  # both baselines
    shared = pages.route("/news/shared.html", first.page(9))
    first.publish(9, link=shared)
    second.publish(9, link=shared)
    found = crawl(sources, engine)
    assert [(run.outcome, run.items_new) for run in found] == [("ok", 1), ("ok", 1)]
    assert detail_hits(pages) == ["/news/shared.html"]
    assert len(texts(engine)) == 1
