"""Block Kit payloads: every fact present, page text escaped, Slack's limits kept."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from crawler.alerts.blocks import (
    HEADER_LIMIT,
    MAX_BLOCKS,
    SECTION_LIMIT,
    burst_payload,
    escape,
    fit,
    ops_payload,
    publication_payload,
)
from crawler.alerts.message import alert_message
from storage.models import Publication

HOSTILE = "<!channel> Budget <@U12345> & <https://evil.example|www.whitehouse.gov> <#C999>"


def publication(**fields: Any) -> Publication:
    values: dict[str, Any] = {
        "id": 7,
        "source_id": "jp_mext_news",
        "doc_key": "k",
        "url": "https://www.mext.go.jp/b_menu/houdou/2026/mext_01820.html",
        "title": "次世代計算基盤に関する検討会（第5回）の開催について",
        "published_on": date(2026, 3, 2),
        "published_at": None,
        "language": "ja",
        "country": "JP",
        "publisher": "文部科学省",
        "doc_type": "press release",
        "summary": "量子コンピュータと生成AIの研究基盤について議論する。",
        "attachments": [
            {"url": "https://www.mext.go.jp/content/a.pdf", "title": "資料1", "size": 1_572_864},
            {
                "url": "https://www.mext.go.jp/content/b.pdf",
                "title": None,
                "media_type": "application/pdf",
            },
        ],
        "topics": ["AI", "Quantum"],
        "first_seen_at": datetime(2026, 3, 2, 3, 0, tzinfo=UTC),
    }
    values.update(fields)
    return Publication(**values)


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def assert_within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_LIMIT
        if "text" in block and block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_LIMIT
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
        assert len(block.get("fields", [])) <= 10


def test_a_publication_shows_title_link_facts_summary_and_attachments() -> None:
    payload = publication_payload(publication())
    title, facts, summary, attachments, footer = payload.blocks
    assert title["text"]["text"] == (
        "*<https://www.mext.go.jp/b_menu/houdou/2026/mext_01820.html|"
        "次世代計算基盤に関する検討会（第5回）の開催について>*"
    )
    shown = [field["text"] for field in facts["fields"]]
    assert shown == [
        "*Publisher*\n文部科学省",
        "*Country*\n🇯🇵 JP",
        "*Date*\n2026-03-02",
        "*Type*\npress release",
        "*Language*\nJapanese",
        "*Topics*\nAI, Quantum",
        "*Source*\nMEXT 新着情報 (RSS 1.0)",
        "*ID*\n7",
    ]
    assert all(field["verbatim"] for field in facts["fields"])
    assert summary["text"]["text"] == "量子コンピュータと生成AIの研究基盤について議論する。"
    assert attachments["text"]["text"] == (
        "*Attachments*\n"
        "• <https://www.mext.go.jp/content/a.pdf|資料1> (PDF, 1.5 MB)\n"
        "• <https://www.mext.go.jp/content/b.pdf|application/pdf> (PDF)"
    )
    assert footer["type"] == "context"
    assert footer["elements"][0]["text"] == "govwatch · publication 7 · jp_mext_news"
    assert payload.text.startswith(
        "New: 次世代計算基盤に関する検討会（第5回）の開催について — 文部科学省, JP"
    )
    assert_within_limits(payload.blocks)


def test_page_text_cannot_mention_or_disguise_a_link() -> None:
    payload = publication_payload(
        publication(title=HOSTILE, summary=HOSTILE, publisher=HOSTILE, topics=["<!here>"])
    )
    rendered = all_text(payload.blocks) + payload.text
    for forbidden in ("<!channel>", "<@U12345>", "<https://evil.example", "<#C999>", "<!here>"):
        assert forbidden not in rendered
    assert "&lt;!channel&gt; Budget &lt;@U12345&gt; &amp; &lt;https://evil.example|" in rendered
    # The only links are the ones govwatch built from the publication's own URLs.
    links = re.findall(r"<(https?://[^|>]+)\|", rendered)
    assert set(links) == {
        "https://www.mext.go.jp/b_menu/houdou/2026/mext_01820.html",
        "https://www.mext.go.jp/content/a.pdf",
        "https://www.mext.go.jp/content/b.pdf",
    }
    # Slack does not auto-parse mentions in verbatim text objects.
    assert all(
        b["text"]["verbatim"] for b in payload.blocks if b["type"] == "section" and "text" in b
    )


def test_a_url_cannot_break_out_of_its_link() -> None:
    payload = publication_payload(publication(url="https://x.example/a?b=1&c=<d>|<!channel>"))
    assert payload.blocks[0]["text"]["text"].startswith(
        "*<https://x.example/a?b=1&amp;c=&lt;d&gt;%7C&lt;!channel&gt;|"
    )


def test_non_http_urls_are_not_links() -> None:
    payload = publication_payload(publication(url="javascript:alert(1)", attachments=[]))
    assert "<javascript" not in all_text(payload.blocks)


@pytest.mark.parametrize("size", [10, 3000, 20000])
def test_long_text_is_trimmed_within_slack_limits(size: int) -> None:
    long = ("R&D <budget> " * size)[: size * 13]
    payload = publication_payload(
        publication(
            title=long,
            summary=long,
            publisher=long,
            attachments=[{"url": f"https://a.example/{n}.pdf", "title": long} for n in range(80)],
        )
    )
    assert_within_limits(payload.blocks)
    assert len(payload.text) <= 3000
    # Trimming never leaves half an entity behind.
    assert not re.search(r"&(?!amp;|lt;|gt;)", all_text(payload.blocks))


def test_fit_counts_the_escaped_length() -> None:
    assert fit("a&b", 5) == "a…"
    assert fit("&&&&", 6) == "&amp;…"
    assert escape("<&>") == "&lt;&amp;&gt;"


def test_english_and_timed_publications() -> None:
    payload = publication_payload(
        publication(
            title="NSF launches national semiconductor research network",
            published_at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC),
            country="EU",
            language="en",
            summary=None,
            attachments=[],
        )
    )
    facts = [field["text"] for field in payload.blocks[1]["fields"]]
    # MEXT is in Tokyo: its 00:30 on the 3rd is 15:30 UTC on the 2nd.
    assert "*Date*\n2026-03-03 00:30 JST (2026-03-02 15:30 UTC)" in facts
    assert "*Language*\nEnglish" in facts
    assert "*Country*\n🇪🇺 EU" in facts
    assert [block["type"] for block in payload.blocks] == ["section", "section", "context"]


def test_ops_and_burst_payloads_escape_and_fit() -> None:
    ops = ops_payload(f"Source broken: {HOSTILE}", "us_nsf_news", "broken")
    assert "<!channel>" not in all_text(ops.blocks) + ops.text
    assert ops.blocks[1]["elements"][0]["text"] == "source: us_nsf_news · state: broken"

    items = [publication(id=n, title=f"{HOSTILE} item {n}" * 20) for n in range(200)]
    burst = burst_payload("jp_mext_news", [alert_message(p) for p in items], 200, 40)
    assert burst.blocks[0]["text"]["text"] == "200 new publications from MEXT 新着情報 (RSS 1.0)"
    assert "<!channel>" not in all_text(burst.blocks)
    assert burst.blocks[-1]["elements"][0]["text"].startswith("…and ")
    assert_within_limits(burst.blocks)
