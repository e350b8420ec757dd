"""Fixture publications over two weeks, stored through the project's storage functions.

``store_publication`` stamps ``first_seen_at`` with the current time, as a crawl does; each
fixture then gets the moment a crawl at that time would have stamped (one UPDATE), so the
weeks can be fixed dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, update

from crawler.items import PublicationItem as Item
from crawler.pipelines.store import store_publication_item as store_publication
from storage.db import transaction
from storage.models import Publication
from storage.sources import sync_sources

XSS_TITLE = "Budget <script>alert('x')</script> & <b>more</b> | note"


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


# (key, first seen, item fields); W47 = 16–22 Nov 2026, W48 = 23–29 Nov 2026.
FIXTURES: list[tuple[str, datetime, dict[str, Any]]] = [
    (
        "us_w47",
        at(17),
        {
            "source_id": "us_src",
            "title": "FTC rule on AI transparency",
            "country": "US",
            "publisher": "FTC",
            "topics": ["AI"],
            "published": date(2026, 11, 17),
            "summary": "The FTC adopted a rule. It covers chatbots. It starts in 2027. More later.",
        },
    ),
    (
        "jp_w47_old",
        at(18),
        {
            "source_id": "jp_src",
            "title": "半導体戦略の改定",
            "country": "JP",
            "publisher": "経済産業省",
            "topics": ["semiconductors"],
            "published": date(2026, 10, 1),
            "summary": "経済産業省は半導体戦略を改定した。供給網を強化する。",
        },
    ),
    (
        "kr_w48",
        at(23, 0),
        {
            "source_id": "kr_src",
            "title": "반도체 수출 규제 발표",
            "country": "KR",
            "publisher": "과기정통부",
            "topics": ["semiconductors"],
            "published": date(2026, 11, 22),
            "summary": "정부는 반도체 수출 규제를 발표했다. 업계 의견을 듣는다.",
        },
    ),
    (
        "de_w48",
        at(24),
        {
            "source_id": "de_src",
            "title": "Förderprogramm KI gestartet",
            "country": "DE",
            "publisher": "BMWK",
            "topics": ["AI"],
            "published": date(2026, 11, 24),
            "summary": "Das Ministerium fördert KI. Anträge ab sofort. Mehr im Januar.",
        },
    ),
    (
        "jp_w48_battery",
        at(25),
        {
            "source_id": "jp_src",
            "title": "蓄電池の安全基準",
            "country": "JP",
            "publisher": "経済産業省",
            "topics": [],
            "published": date(2026, 11, 25),
            "summary": "蓄電池の安全基準を改正した。来年施行する。",
        },
    ),
    (
        "jp_w48_ai",
        at(26),
        {
            "source_id": "jp_src",
            "title": "AI事業者ガイドライン",
            "country": "JP",
            "publisher": "総務省",
            "topics": ["AI"],
            "published": date(2026, 11, 26),
            "summary": "AI事業者ガイドラインを公表した。意見を募集する。",
        },
    ),
    (
        "us_w48_xss",
        at(27),
        {
            "source_id": "us_src",
            "title": XSS_TITLE,
            "country": "US",
            "publisher": "FTC",
            "topics": ["budget"],
            "published": date(2026, 11, 27),
            "summary": "A <b>bold</b> claim & more. Second sentence here.",
        },
    ),
    (
        "us_w49",
        at(30),
        {
            "source_id": "us_src",
            "title": "Published in W48, seen in W49",
            "country": "US",
            "publisher": "FTC",
            "topics": ["AI"],
            "published": date(2026, 11, 28),
            "summary": "Seen late. It was published earlier but crawled on Monday.",
        },
    ),
]
# A cross-source duplicate of de_w48 (same URL): stored, never in a digest.
DUPLICATE = ("de_w48_dup", at(24, 13), {"source_id": "eu_src", "title": "Förderprogramm KI gestartet",
             "country": "DE", "publisher": "EU mirror", "topics": ["AI"],
             "published": date(2026, 11, 24)})  # fmt: skip


@dataclass
class Stored:
    engine: Engine
    ids: dict[str, int]


def store(engine: Engine, entries: list[tuple[str, datetime, dict[str, Any]]]) -> dict[str, int]:
    ids: dict[str, int] = {}
    with transaction(engine) as session:
        sources = sorted({fields["source_id"] for _, _, fields in entries})
        sync_sources(session, [(sid, sid) for sid in sources])
        for key, seen, fields in entries:
            url = fields.pop("url", None) or f"https://example.org/{fields['source_id']}/{key}"
            if key == "de_w48_dup":
                url = "https://example.org/de_src/de_w48"
            result = store_publication(
                session, Item(url=url, **fields), run_id=None, destinations=[]
            )
            assert result.publication_id is not None
            ids[key] = result.publication_id
            session.execute(
                update(Publication)
                .where(Publication.id == result.publication_id)
                .values(first_seen_at=seen)
            )
    return ids


def store_fixtures(engine: Engine) -> Stored:
    entries = [(k, s, dict(f)) for k, s, f in [*FIXTURES, DUPLICATE]]
    return Stored(engine, store(engine, entries))
