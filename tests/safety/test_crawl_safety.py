"""Safety before any connection, through the real runner against a real local server.

The server counts every request it gets (robots.txt included), and the resolver's lookups
are recorded on their way to the real ``getaddrinfo``: a refused host must show neither.
A source reaches the page server on 127.0.0.1 only through ``allow_private_network``,
which grants the hosts of its configured URLs and nothing else; ``localhost`` is the same
server under a name that was not granted.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.safe_resolver import GRANTS, SafeResolver, install_safe_resolver
from crawler.service.reactor import reactor_loop
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer, Route

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    b"<item><title>One</title><link>https://www.example.gov/1</link>"
    b"<pubDate>Tue, 10 Mar 2026 10:00:00 +0000</pubDate></item></channel></rss>"
)


class LookupLog:
    """Every host the resolver looks up, passed on to the real ``getaddrinfo``."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, host: str, *args: Any) -> Any:
        with self._lock:
            self.hosts.append(host)
        return socket.getaddrinfo(host, *args)


@pytest.fixture
def lookups() -> Iterator[LookupLog]:
    reactor_loop()
    resolver = install_safe_resolver()
    log = LookupLog()
    resolver.lookup = log
    try:
        yield log
    finally:
        resolver.lookup = socket.getaddrinfo


def _localhost_url(pages: PageServer, path: str) -> str:
    return pages.url(path).replace("127.0.0.1", "localhost")


def _hosts_seen(pages: PageServer) -> set[str]:
    return {request.headers.get("Host", "") for request in pages.requests}


def test_robots_txt_of_a_forbidden_host_is_never_requested(
    pages: PageServer, lookups: LookupLog
) -> None:
    pages.route("/robots.txt", Route(b"User-agent: *\nAllow: /\n", content_type="text/plain"))
    pages.route("/feed.xml", Route(FEED, content_type="application/rss+xml"))
    url = _localhost_url(pages, "/feed.xml")

    summary = crawl(make_source(urls=[url], allow_private_network=False), None)[0]

    assert pages.requests == []  # neither robots.txt nor the feed
    assert summary.outcome == "blocked"
    assert "localhost resolves to" in (summary.error or "")
    assert "a loopback address" in (summary.error or "")
    assert "Traceback" not in (summary.error or "")


def test_the_reactor_connects_through_the_safe_resolver(pages: PageServer) -> None:
    pages.route("/feed.xml", Route(FEED, content_type="application/rss+xml"))
    assert crawl(make_source(urls=[pages.url("/feed.xml")]), None)[0].outcome == "ok"
    from twisted.internet import reactor

    assert isinstance(reactor.nameResolver, SafeResolver)  # type: ignore[attr-defined]
    assert not GRANTS.allows("127.0.0.1")  # the crawl's grant ended with it


@pytest.mark.parametrize(
    "allowed_domains",
    [None, ["127.0.0.1", "169.254.169.254"]],
    ids=["outside-allowed-domains", "inside-allowed-domains"],
)
def test_a_redirect_to_the_metadata_address_is_refused_before_its_robots_txt(
    pages: PageServer, lookups: LookupLog, allowed_domains: list[str] | None
) -> None:
    target = "http://169.254.169.254/latest/meta-data/"
    url = pages.route("/feed.xml", Route(b"", status=302, headers={"Location": target}))
    extra = {"allowed_domains": allowed_domains} if allowed_domains else {}

    summary = crawl(make_source(urls=[url], **extra), None)[0]

    assert summary.outcome == "blocked"
    assert "169.254.169.254" in (summary.error or "")
    assert "169.254.169.254" not in lookups.hosts  # no robots.txt, no page: no connection
    if allowed_domains:
        assert "a link-local address" in (summary.error or "")
    else:
        assert "outside the source's allowed_domains" in (summary.error or "")


def test_a_redirect_to_another_name_for_this_machine_is_refused(
    pages: PageServer, lookups: LookupLog
) -> None:
    secret = pages.route("/secret", Route(b"internal"))
    redirect = secret.replace("127.0.0.1", "localhost")
    url = pages.route("/feed.xml", Route(b"", status=302, headers={"Location": redirect}))
    source = make_source(urls=[url], allowed_domains=["127.0.0.1", "localhost"])

    summary = crawl(source, None)[0]

    assert summary.outcome == "blocked"
    assert "localhost resolves to" in (summary.error or "")
    assert pages.hits("/secret") == []
    port = urlsplit(url).port
    assert _hosts_seen(pages) == {f"127.0.0.1:{port}"}  # robots.txt of localhost never asked
    assert "localhost" in lookups.hosts  # refused at resolution, the one place that decides


def test_a_next_page_on_a_forbidden_host_is_refused(pages: PageServer, lookups: LookupLog) -> None:
    next_page = _localhost_url(pages, "/list/2")
    body = (
        "<html><body><ul><li><a href='/a/1'>First</a><span>2026-03-10</span></li></ul>"
        f"<a class='next' href='{next_page}'>next</a></body></html>"
    )
    url = pages.route("/list/1", Route(body.encode()))
    pages.route("/list/2", Route(body.encode()))
    source = make_source(
        id="xx_paged_list",
        kind="list_page",
        urls=[url],
        allowed_domains=["127.0.0.1", "localhost"],
        max_pages=2,
        list={
            "item": "ul > li",
            "title": "a::text",
            "link": "a::attr(href)",
            "date": "span::text",
            "next_page": "a.next::attr(href)",
        },
    )

    summary = crawl(source, None, backfill=True)[0]

    assert summary.items_parsed == 1
    assert summary.outcome == "blocked"
    assert "localhost resolves to" in (summary.error or "")
    assert pages.hits("/list/2") == []


@pytest.mark.parametrize("host", ["2130706433", "[::ffff:127.0.0.1]", "127.1"])
def test_other_spellings_of_this_machine_are_refused(
    pages: PageServer, lookups: LookupLog, host: str
) -> None:
    pages.route("/feed.xml", Route(FEED, content_type="application/rss+xml"))
    url = pages.url("/feed.xml").replace("127.0.0.1", host)

    summary = crawl(make_source(urls=[url], allow_private_network=False), None)[0]

    assert summary.outcome == "blocked"
    assert "loopback" in (summary.error or "")
    assert pages.requests == []


def test_a_redirect_outside_allowed_domains_is_refused_before_robots_txt_is_looked_up(
    pages: PageServer, lookups: LookupLog
) -> None:
    target = "http://elsewhere.invalid/page"
    url = pages.route("/feed.xml", Route(b"", status=302, headers={"Location": target}))

    summary = crawl(make_source(urls=[url]), None)[0]

    assert summary.outcome == "blocked"
    assert "elsewhere.invalid is outside the source's allowed_domains" in (summary.error or "")
    assert "elsewhere.invalid" not in lookups.hosts


def test_a_source_without_the_allowance_is_refused_on_a_host_granted_to_another(
    pages: PageServer,
) -> None:
    pages.route("/feed.xml", Route(FEED, content_type="application/rss+xml"))
    pages.route("/other.xml", Route(FEED, content_type="application/rss+xml"))
    granted = make_source(id="xx_granted", urls=[pages.url("/feed.xml")])
    strict = make_source(
        id="xx_strict", urls=[pages.url("/other.xml")], allow_private_network=False
    )

    by_id = {summary.source_id: summary for summary in crawl([granted, strict], None)}

    assert by_id["xx_granted"].outcome == "ok"
    assert by_id["xx_strict"].outcome == "blocked"
    assert "only for a source that allows private networks" in (by_id["xx_strict"].error or "")
    assert pages.hits("/other.xml") == []


def test_a_next_page_link_to_a_local_file_is_refused(pages: PageServer) -> None:
    body = (
        "<html><body><ul><li><a href='/a/1'>First</a><span>2026-03-10</span></li></ul>"
        "<a class='next' href='file:///etc/hostname'>next</a></body></html>"
    )
    url = pages.route("/list/1", Route(body.encode()))
    source = make_source(
        id="xx_paged_list",
        kind="list_page",
        urls=[url],
        max_pages=2,
        list={
            "item": "ul > li",
            "title": "a::text",
            "link": "a::attr(href)",
            "date": "span::text",
            "next_page": "a.next::attr(href)",
        },
    )

    summary = crawl(source, None, backfill=True)[0]

    assert summary.outcome == "blocked"
    assert "file:///etc/hostname" in (summary.error or "")
    assert "only http and https URLs are fetched, not file" in (summary.error or "")
