"""robots.txt kept in the database across processes, with the expiry RFC 9309 allows.

Each test runs two separate crawls, the way two cron passes of ``govwatch crawl`` do: two
runner invocations, each with its own freshly made engine on the same SQLite file, against
a real local server that counts every robots.txt request it gets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from crawler.robots_rules import MAX_TTL, UNREACHABLE_TTL, RobotsRules, time_to_keep
from crawler.runner import RunSummary
from storage.db import ready_engine
from storage.models import utcnow
from storage.robots_cache import load_robots
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer, Route

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    b"<item><title>One</title><link>https://www.example.gov/1</link>"
    b"<pubDate>Tue, 10 Mar 2026 10:00:00 +0000</pubDate></item></channel></rss>"
)


def _robots(pages: PageServer, text: str, **route: object) -> None:
    pages.route("/robots.txt", Route(text.encode(), content_type="text/plain", **route))  # type: ignore[arg-type]


def _fresh_process_crawl(db: Path, url: str) -> tuple[RunSummary, Engine]:
    """One pass as a new process would make it: a new engine on the same database file."""
    engine = ready_engine(f"sqlite:///{db}")
    try:
        return crawl(make_source(urls=[url]), engine)[0], engine
    finally:
        engine.dispose()


def _two_passes(
    pages: PageServer,
    tmp_path: Path,
    path: str = "/feed.xml",
    between: Callable[[], None] = lambda: None,
) -> tuple[RunSummary, RunSummary, list[int]]:
    url = pages.route(path, Route(FEED, content_type="application/rss+xml"))
    first, _ = _fresh_process_crawl(tmp_path / "db.sqlite3", url)
    after_first = len(pages.hits("/robots.txt"))
    between()
    second, _ = _fresh_process_crawl(tmp_path / "db.sqlite3", url)
    return first, second, [after_first, len(pages.hits("/robots.txt")) - after_first]


def test_a_second_process_does_not_fetch_robots_txt_while_it_is_kept(
    pages: PageServer, tmp_path: Path
) -> None:
    _robots(pages, "User-agent: *\nAllow: /\n")

    first, second, fetches = _two_passes(pages, tmp_path)

    assert fetches == [1, 0]
    assert first.outcome == "ok"
    assert second.outcome == "not_modified"
    assert len(pages.hits("/feed.xml")) == 2


def test_robots_txt_is_fetched_again_once_its_max_age_has_passed(
    pages: PageServer, tmp_path: Path
) -> None:
    _robots(pages, "User-agent: *\nAllow: /\n", headers={"Cache-Control": "public, max-age=2"})
    db = tmp_path / "db.sqlite3"
    origin = pages.base_url

    def wait_for_expiry() -> None:
        engine = ready_engine(f"sqlite:///{db}")
        kept = load_robots(engine, origin)
        engine.dispose()
        assert kept is not None
        assert kept.expires_at - kept.fetched_at == timedelta(seconds=2)
        time.sleep(max(0.0, (kept.expires_at - utcnow()).total_seconds()) + 0.2)

    _first, second, fetches = _two_passes(pages, tmp_path, between=wait_for_expiry)

    assert fetches == [1, 1]
    assert second.outcome == "not_modified"


def test_a_disallow_is_still_obeyed_from_the_cache(pages: PageServer, tmp_path: Path) -> None:
    _robots(pages, "User-agent: *\nDisallow: /private/\n")

    first, second, fetches = _two_passes(pages, tmp_path, path="/private/feed.xml")

    assert fetches == [1, 0]
    assert pages.hits("/private/feed.xml") == []
    for summary in (first, second):
        assert summary.failed
        assert "robots.txt" in (summary.error or "")
        assert "disallows this URL" in (summary.error or "")


def test_a_robots_txt_server_error_stops_the_host_for_a_short_while(
    pages: PageServer, tmp_path: Path
) -> None:
    _robots(pages, "busy", status=503)

    first, second, fetches = _two_passes(pages, tmp_path)

    assert fetches == [1, 0]  # RETRY_TIMES is 0 in tests; kept for UNREACHABLE_TTL
    assert pages.hits("/feed.xml") == []
    assert "robots.txt answered HTTP 503" in (first.error or "")
    assert "robots.txt answered HTTP 503" in (second.error or "")


def test_a_missing_robots_txt_allows_everything_and_is_kept(
    pages: PageServer, tmp_path: Path
) -> None:
    # no /robots.txt route: the server answers 404
    first, second, fetches = _two_passes(pages, tmp_path)

    assert fetches == [1, 0]
    assert (first.outcome, second.outcome) == ("ok", "not_modified")


def test_crawl_delay_is_read_and_kept(pages: PageServer, tmp_path: Path) -> None:
    _robots(pages, "User-agent: *\nCrawl-delay: 3\nAllow: /\n")

    _first, second, fetches = _two_passes(pages, tmp_path)

    assert fetches == [1, 0]
    assert second.outcome == "not_modified"
    engine = ready_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    kept = load_robots(engine, pages.base_url)
    engine.dispose()
    assert kept is not None
    assert RobotsRules(kept.origin, kept.status, kept.body).crawl_delay("govwatch") == 3.0


def test_how_long_an_answer_is_kept() -> None:
    assert time_to_keep(200, None) == MAX_TTL
    assert time_to_keep(200, "max-age=600") == timedelta(minutes=10)
    assert time_to_keep(200, "public, max-age=604800") == MAX_TTL  # never beyond 24 h
    assert time_to_keep(200, "no-store") == timedelta(0)
    assert time_to_keep(404, None) == MAX_TTL
    assert time_to_keep(503, "max-age=86400") == UNREACHABLE_TTL
    assert time_to_keep(429, None) == UNREACHABLE_TTL


def test_a_dry_run_reads_but_never_writes_the_cache(pages: PageServer, tmp_path: Path) -> None:
    _robots(pages, "User-agent: *\nAllow: /\n")
    url = pages.route("/feed.xml", Route(FEED, content_type="application/rss+xml"))
    engine = ready_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")

    summary = crawl(make_source(urls=[url]), engine, dry_run=True)[0]

    assert summary.outcome == "ok"
    assert load_robots(engine, pages.base_url) is None
    engine.dispose()


def test_a_robots_txt_redirect_to_a_forbidden_address_is_refused_and_not_kept(
    pages: PageServer, tmp_path: Path
) -> None:
    pages.route(
        "/robots.txt",
        Route(b"", status=302, headers={"Location": "http://169.254.169.254/robots.txt"}),
    )

    first, _second, fetches = _two_passes(pages, tmp_path)

    assert first.outcome == "ok"  # a robots.txt that cannot be had decides nothing
    assert fetches == [1, 1]  # and is not kept: asked again by the next process
    engine = ready_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert load_robots(engine, pages.base_url) is None
    engine.dispose()


def test_safety_runs_before_robots_txt_which_replaces_scrapys() -> None:
    from crawler import settings

    order = settings.DOWNLOADER_MIDDLEWARES
    assert order["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None
    robots = order["crawler.middlewares.robots_cache.CachedRobotsTxtMiddleware"]
    assert order["crawler.middlewares.safety.SafetyMiddleware"] < robots
