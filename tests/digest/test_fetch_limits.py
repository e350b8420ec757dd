"""The detail-page client's limits that docs/digest.md promises: at most 2 MB a page, at most
3 redirects, one request per host per ``delay`` or per its robots.txt Crawl-delay when longer.
Real HTTP on 127.0.0.1; the pause is read from the client's own ``sleep`` (what it asked to
wait) and its own records, never from a wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from crawler.digest.fetch import MAX_BYTES, DetailFetcher, Refused
from crawler.fetch_identity import DETAIL_MAX_CRAWL_DELAY
from crawler.sources import SourceConfig
from tests.crawling import make_source
from tests.servers.pages import PageServer, Route

PAGE = b"<html><body><article><p>A page.</p></article></body></html>"


def fetcher(
    pages: PageServer, delay: float, sleep: Callable[[float], None] = time.sleep
) -> tuple[DetailFetcher, SourceConfig]:
    source = make_source(id="xx_detail", urls=[pages.url("/")])
    return DetailFetcher({"xx_detail": source}, delay=delay, sleep=sleep), source


def test_a_page_over_2_mb_is_refused_and_one_of_2_mb_is_read(pages: PageServer) -> None:
    assert MAX_BYTES == 2 * 1024 * 1024
    padded = PAGE + b" " * (MAX_BYTES - len(PAGE))
    fits = pages.route("/fits.html", Route(padded))
    too_big = pages.route("/too-big.html", Route(padded + b" "))
    client, source = fetcher(pages, delay=0)
    html, _ = client.get(fits, source)
    assert len(html) == MAX_BYTES
    with pytest.raises(Refused, match="is larger than 2 MB"):
        client.get(too_big, source)


def redirects(pages: PageServer, count: int) -> str:
    """A chain of ``count`` redirects ending on a page; returns the first URL."""
    final = pages.route(f"/chain{count}/end.html", Route(PAGE))
    target = final
    for hop in range(count, 0, -1):
        target = pages.route(
            f"/chain{count}/hop{hop}.html", Route(status=302, headers={"Location": target})
        )
    return target


def test_three_redirects_are_followed_and_a_fourth_is_refused(pages: PageServer) -> None:
    client, source = fetcher(pages, delay=0)
    html, final = client.get(redirects(pages, 3), source)
    assert final == pages.url("/chain3/end.html")
    assert "A page." in html
    with pytest.raises(Refused, match="more than 3 redirects"):
        client.get(redirects(pages, 4), source)
    assert not [r for r in pages.requests if r.path == "/chain4/end.html"]


def test_each_request_to_a_host_after_the_first_waits_its_turn(pages: PageServer) -> None:
    first = pages.route("/one.html", Route(PAGE))
    second = pages.route("/two.html", Route(PAGE))
    waits: list[float] = []
    # A delay far longer than the requests take: each later request must ask to wait.
    client, source = fetcher(pages, delay=60.0, sleep=waits.append)
    client.get(first, source)
    client.get(second, source)
    # robots.txt, /one.html, /two.html: the first goes at once, the other two wait.
    assert [r.path for r in pages.requests] == ["/robots.txt", "/one.html", "/two.html"]
    assert len(waits) == 2
    assert all(0 < wait <= 60.0 for wait in waits), waits


class StoppedClock:
    """A clock that moves only when the client sleeps: each wait is exactly the pace chosen."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(("configured", "crawl_delay", "pace"), [(1.0, 5, 5.0), (7.0, 5, 7.0)])
def test_the_pace_is_the_longer_of_the_delay_and_the_robots_crawl_delay(
    pages: PageServer, configured: float, crawl_delay: int, pace: float
) -> None:
    pages.route(
        "/robots.txt",
        Route(f"User-agent: *\nCrawl-delay: {crawl_delay}\nAllow: /\n".encode(),
              content_type="text/plain"),
    )  # fmt: skip
    first = pages.route("/one.html", Route(PAGE))
    second = pages.route("/two.html", Route(PAGE))
    clock = StoppedClock()
    source = make_source(id="xx_detail", urls=[pages.url("/")])
    client = DetailFetcher({"xx_detail": source}, delay=configured, sleep=clock.sleep, clock=clock)
    client.get(first, source)
    client.get(second, source)
    assert [r.path for r in pages.requests] == ["/robots.txt", "/one.html", "/two.html"]
    host = pages.url("/").split("//")[1].split(":")[0]
    assert client.intervals == {host: pace}
    # robots.txt goes at once (its Crawl-delay is not known yet), then each page waits the pace
    assert clock.waits == [pace, pace]


def test_a_host_asking_for_a_crawl_delay_over_the_cap_gives_no_page_and_no_wait(
    pages: PageServer,
) -> None:
    """An odd robots.txt (an hour between requests) cannot hold a build for hours: the
    fallback refuses the host's pages above 30 s, as the crawl refuses its detail pages."""
    assert DETAIL_MAX_CRAWL_DELAY == 30.0
    pages.route(
        "/robots.txt",
        Route(b"User-agent: *\nCrawl-delay: 3600\n", content_type="text/plain"),
    )
    page = pages.route("/one.html", Route(PAGE))
    clock = StoppedClock()
    source = make_source(id="xx_detail", urls=[pages.url("/")])
    client = DetailFetcher({"xx_detail": source}, delay=1.0, sleep=clock.sleep, clock=clock)
    with pytest.raises(Refused, match=r"robots\.txt asks for 3600 s between requests"):
        client.get(page, source)
    assert [r.path for r in pages.requests] == ["/robots.txt"]
    assert clock.waits == []
    # At the cap the page is fetched, at the host's pace.
    pages.route(
        "/robots.txt", Route(b"User-agent: *\nCrawl-delay: 30\n", content_type="text/plain")
    )
    client = DetailFetcher({"xx_detail": source}, delay=1.0, sleep=clock.sleep, clock=clock)
    client.get(page, source)
    client.get(page, source)
    assert clock.waits == [30.0, 30.0]


def test_a_redirect_to_a_path_robots_txt_forbids_is_not_followed(pages: PageServer) -> None:
    pages.route(
        "/robots.txt",
        Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
    )
    hidden = pages.route("/private/page.html", Route(PAGE))
    start = pages.route("/open.html", Route(status=302, headers={"Location": hidden}))
    client, source = fetcher(pages, delay=0)
    with pytest.raises(Refused, match=r"forbidden by robots\.txt"):
        client.get(start, source)
    assert [r.path for r in pages.requests] == ["/robots.txt", "/open.html"]
