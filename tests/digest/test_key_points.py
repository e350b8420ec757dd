"""Key points: sentence cutting in five languages, and detail pages fetched over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from crawler.digest.build import build_digest
from crawler.digest.fetch import DetailFetcher
from crawler.digest.key_points import draft, key_points, says_more, split_sentences
from crawler.digest.period import week
from storage import digests as store
from storage.db import transaction
from tests.crawling import make_source
from tests.digest.conftest import at
from tests.digest.conftest import store as store_entries
from tests.servers.pages import PageServer, Route

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "digest"

EXPECTED = {
    "en": "The Department of Commerce today announced a rule that tightens export controls on "
    "advanced semiconductors. The rule applies to chips used for training large AI models and "
    "takes effect on 1 January 2027. Companies must apply for a licence before shipping covered "
    "items to listed destinations.",
    "de": "Die Bundesregierung hat am 1. Dezember ein neues Förderprogramm für Künstliche "
    "Intelligenz gestartet. Gefördert werden z. B. Projekte kleiner und mittlerer Unternehmen "
    "mit bis zu 2 Mio. Euro. Anträge können ab sofort beim Projektträger eingereicht werden.",
    "ja": "経済産業省は本日、半導体産業の競争力を強化するための新たな戦略を公表した。"
    "戦略では、先端ロジック半導体の国内生産能力を二〇三〇年までに倍増させる目標を掲げている。"
    "また、人材育成のための大学との連携も強化する。",
    "zh": "工业和信息化部近日印发关于推动人工智能产业发展的指导意见。"
    "意见提出，到二〇二七年，人工智能核心产业规模显著提升！各地要结合实际抓好贯彻落实。",
    "ko": "과학기술정보통신부는 오늘 반도체 수출 규제를 강화하는 방안을 발표했다. 이번 방안은 첨단 "
    "반도체 장비의 수출 심사를 강화하는 내용을 담고 있다. 정부는 업계 의견을 수렴해 내년 상반기에 "
    "시행할 계획이다.",
}
TITLES = {
    "en": "Commerce Department announces chip export rule",
    "de": "Bundesregierung startet Förderprogramm für Künstliche Intelligenz",
    "ja": "半導体産業の新たな戦略を公表",
    "zh": "关于推动人工智能产业发展的指导意见",
    "ko": "반도체 수출 규제 강화 방안 발표",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith spoke. It rained! Why? Done.", ["Dr. Smith spoke.", "It rained!", "Why?", "Done."]),
        ("Am 1. Januar beginnt es, z. B. mit 2 Mio. Euro. Dann endet es.",
         ["Am 1. Januar beginnt es, z. B. mit 2 Mio. Euro.", "Dann endet es."]),
        ("一文目。二文目！三文目？四文目", ["一文目。", "二文目！", "三文目？", "四文目"]),
        ("第一句。第二句。", ["第一句。", "第二句。"]),
        ("첫 문장이다. 둘째 문장이다. 셋째.", ["첫 문장이다.", "둘째 문장이다.", "셋째."]),
    ],
)  # fmt: skip
def test_sentences_end_where_each_script_ends_them(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_key_points_are_two_or_three_whole_sentences() -> None:
    assert key_points("一文目。二文目。三文目。四文目。") == "一文目。二文目。三文目。"
    long = "あ" * 300 + "。" + "い" * 300 + "。" + "う" * 10 + "。"
    assert key_points(long) == "あ" * 300 + "。"  # the second would pass 600 characters
    two = key_points("A" * 250 + ". " + "B" * 250 + ". " + "C" * 250 + ".")
    assert two == "A" * 250 + ". " + "B" * 250 + "."
    one = key_points("한" * 700 + ". 둘.")
    assert one.endswith("…")
    assert len(one) == 600
    assert set(one[:-1]) == {"한"}


def test_a_summary_is_used_only_when_it_says_more_than_the_title() -> None:
    assert not says_more("Budget report", "Budget report")
    assert not says_more("Budget report.", "Budget report")
    assert says_more("Budget report: the ministry cut research funding by 3%.", "Budget report")
    assert (
        draft("T", "T", "Line one is a sentence here. Two.") == "Line one is a sentence here. Two."
    )
    assert draft("Title", "Title", None) == ""


def test_detail_pages_in_five_languages_give_their_key_points(
    engine: Engine, pages: PageServer
) -> None:
    entries = []
    for language, title in TITLES.items():
        body = (FIXTURES / f"detail_{language}.html").read_bytes()
        url = pages.route(f"/{language}/detail.html", Route(body))
        entries.append(
            (
                language,
                at(24),
                {
                    "source_id": "xx_detail",
                    "title": title,
                    "url": url,
                    "country": language.upper()[:2],
                    "summary": title,
                },
            )
        )
    ids = store_entries(engine, entries)
    fetcher = DetailFetcher(
        {"xx_detail": make_source(id="xx_detail", urls=[pages.url("/")])}, delay=0
    )
    result = build_digest(engine, week("2026-W48"), now=at(30), fetch_texts=fetcher)
    assert result.digest_id is not None
    with transaction(engine) as session:
        found = {p.id: item.key_points for item, p in store.items(session, result.digest_id)}
        texts = store.main_texts(session, list(ids.values()))
    for language, publication_id in ids.items():
        assert found[publication_id] == EXPECTED[language], language
        assert texts[publication_id].error is None
    # fetched once: a rebuild does not ask again
    asked = len([r for r in pages.requests if r.path.endswith("detail.html")])
    build_digest(engine, week("2026-W48"), now=at(30, 13), fetch_texts=fetcher)
    assert len([r for r in pages.requests if r.path.endswith("detail.html")]) == asked == 5


def test_a_detail_page_outside_the_allowed_domains_is_not_fetched(
    engine: Engine, pages: PageServer
) -> None:
    body = (FIXTURES / "detail_en.html").read_bytes()
    url = pages.route("/en/detail.html", Route(body)).replace("127.0.0.1", "localhost")
    ids = store_entries(
        engine, [("en", at(24), {"source_id": "xx_detail", "title": TITLES["en"], "url": url})]
    )
    source = make_source(id="xx_detail", urls=[pages.url("/")])  # allows 127.0.0.1 only
    build_digest(
        engine,
        week("2026-W48"),
        now=at(30),
        fetch_texts=DetailFetcher({"xx_detail": source}, delay=0),
    )
    with transaction(engine) as session:
        text = store.main_texts(session, [ids["en"]])[ids["en"]]
        ((item, _),) = store.items(session, 1)
    assert text.main_text is None
    assert "outside the source's allowed_domains" in str(text.error)
    assert item.key_points == ""
    assert not [r for r in pages.requests if r.path.endswith("detail.html")]


def test_a_private_address_is_refused_without_allow_private_network(
    engine: Engine, pages: PageServer
) -> None:
    body = (FIXTURES / "detail_en.html").read_bytes()
    url = pages.route("/en/detail.html", Route(body))
    ids = store_entries(
        engine, [("en", at(24), {"source_id": "xx_detail", "title": TITLES["en"], "url": url})]
    )
    source = make_source(id="xx_detail", urls=[pages.url("/")], allow_private_network=False)
    build_digest(
        engine,
        week("2026-W48"),
        now=at(30),
        fetch_texts=DetailFetcher({"xx_detail": source}, delay=0),
    )
    with transaction(engine) as session:
        text = store.main_texts(session, [ids["en"]])[ids["en"]]
    assert "a loopback address" in str(text.error)
    assert not pages.requests


def test_robots_txt_is_obeyed(engine: Engine, pages: PageServer) -> None:
    pages.route(
        "/robots.txt", Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    )
    body = (FIXTURES / "detail_en.html").read_bytes()
    url = pages.route("/private/detail.html", Route(body))
    ids = store_entries(
        engine, [("en", at(24), {"source_id": "xx_detail", "title": TITLES["en"], "url": url})]
    )
    source = make_source(id="xx_detail", urls=[pages.url("/")])
    build_digest(
        engine,
        week("2026-W48"),
        now=at(30),
        fetch_texts=DetailFetcher({"xx_detail": source}, delay=0),
    )
    with transaction(engine) as session:
        text = store.main_texts(session, [ids["en"]])[ids["en"]]
    assert "robots.txt" in str(text.error)
    assert [r.path for r in pages.requests] == ["/robots.txt"]
    assert "govwatch" in pages.requests[0].headers.get("User-Agent", "")


def test_robots_txt_follows_the_crawls_rules(engine: Engine, pages: PageServer) -> None:
    """The crawl's robots.txt rules (crawler/robots_rules.py), not a second reading of them:
    a wildcard path rule is honoured, as Protego honours it in the crawl."""
    pages.route(
        "/robots.txt", Route(b"User-agent: *\nDisallow: /*.html$\n", content_type="text/plain")
    )
    body = (FIXTURES / "detail_en.html").read_bytes()
    url = pages.route("/news/detail.html", Route(body))
    ids = store_entries(
        engine, [("en", at(24), {"source_id": "xx_detail", "title": TITLES["en"], "url": url})]
    )
    source = make_source(id="xx_detail", urls=[pages.url("/")])
    build_digest(
        engine,
        week("2026-W48"),
        now=at(30),
        fetch_texts=DetailFetcher({"xx_detail": source}, delay=0),
    )
    with transaction(engine) as session:
        text = store.main_texts(session, [ids["en"]])[ids["en"]]
    assert "robots.txt" in str(text.error)
    assert [r.path for r in pages.requests] == ["/robots.txt"]


def test_an_unreachable_robots_txt_fetches_nothing(engine: Engine, pages: PageServer) -> None:
    """A robots.txt answering 5xx grants nothing (RFC 9309), as in the crawl."""
    pages.route("/robots.txt", Route(b"busy", status=503, content_type="text/plain"))
    body = (FIXTURES / "detail_en.html").read_bytes()
    url = pages.route("/news/detail.html", Route(body))
    ids = store_entries(
        engine, [("en", at(24), {"source_id": "xx_detail", "title": TITLES["en"], "url": url})]
    )
    source = make_source(id="xx_detail", urls=[pages.url("/")])
    build_digest(
        engine,
        week("2026-W48"),
        now=at(30),
        fetch_texts=DetailFetcher({"xx_detail": source}, delay=0),
    )
    with transaction(engine) as session:
        text = store.main_texts(session, [ids["en"]])[ids["en"]]
    assert "HTTP 503" in str(text.error)
    assert [r.path for r in pages.requests] == ["/robots.txt"]
