"""The published outputs: tables per country, markup kept as text, Slack within its limits."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from crawler.alerts.blocks import MAX_BLOCKS, SECTION_LIMIT
from crawler.digest.render import Row, Section, render_html, render_markdown, slack_messages
from storage.models import Digest

XSS = "Budget <script>alert('x')</script> & <img src=x onerror=alert(1)> | *bold* <!channel>"


def digest() -> Digest:
    return Digest(
        id=1,
        label="2026-W48",
        period_start=date(2026, 11, 23),
        period_end=date(2026, 11, 29),
        state="published",
    )


def row(
    number: int, title: str = "Title", points: str = "Point one. Point two.", lead: bool = False
) -> Row:
    return Row(number, number, title, f"https://example.org/{number}", "Publisher", "2026-11-24",
               points, lead, None, True)  # fmt: skip


def test_markup_in_a_title_stays_text_in_html_markdown_and_slack() -> None:
    parts = [Section("US", "🇺🇸", [row(1, XSS, XSS, lead=True)])]
    html = render_html(digest(), parts)
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    markdown = render_markdown(digest(), parts)
    assert "<script>" not in markdown
    assert "<img" not in markdown
    assert "<!channel>" not in markdown
    assert "&lt;script&gt;" not in markdown  # '>' stays, '<' is an entity: no tag can open
    assert r"&lt;script\>alert" in markdown
    assert r"\|" in markdown
    assert r"\*bold\*" in markdown
    (message,) = slack_messages(digest(), parts)
    text = json.dumps(message.blocks)
    assert "<script>" not in text
    assert "<!channel>" not in text
    assert "&lt;script&gt;" in text
    assert "&lt;!channel&gt;" in text
    assert all(
        block.get("text", {}).get("verbatim", True)
        for block in message.blocks
        if block["type"] == "section"
    )


def test_a_long_country_section_is_split_between_items_within_slack_limits() -> None:
    many = [row(n, f"Item {n:03d}", "Sentence. " * 60) for n in range(1, 46)]
    parts = [Section("JP", "🇯🇵", many), Section("DE", "🇩🇪", [row(99, "Only one")])]
    messages = slack_messages(digest(), parts)
    jp = [m for m in messages if "JP" in m.text]
    assert len(jp) >= 3
    assert all(f"({n}/{len(jp)})" in m.text for n, m in enumerate(jp, 1))
    seen: list[str] = []
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_LIMIT
                seen.append(block["text"]["text"].split("|")[1].split(">")[0])
    assert seen == [f"Item {n:03d}" for n in range(1, 46)] + ["Only one"]
    assert [m.text for m in messages if "DE" in m.text] == ["Digest 2026-W48 — 🇩🇪 DE"]


def test_html_is_one_table_per_country_in_the_bulletin_shape() -> None:
    parts = [
        Section("DE", "🇩🇪", [row(1, "Eins"), row(2, "Zwei")]),
        Section("JP", "🇯🇵", [row(3, "三")]),
    ]
    html = render_html(digest(), parts)
    assert html.count("<table") == 2
    assert html.count("Title (publisher / date)") == 2
    assert html.count("Key points") == 2
    assert html.index("Eins") < html.index("Zwei") < html.index("三")
    markdown = render_markdown(digest(), parts)
    assert markdown.count("| Title (publisher / date) | Key points |") == 2
    assert "[Eins](<https://example.org/1>) (Publisher / 2026\\-11\\-24)" in markdown


def _unused(*_args: Any) -> None:
    return None
