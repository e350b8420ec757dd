"""The publication view every sink renders: labels for people, dates in the source's zone."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from crawler.alerts.blocks import escape, publication_payload
from crawler.alerts.message import (
    alert_message,
    describe_date,
    doc_type_label,
    language_label,
)
from crawler.alerts.sinks.console import ConsoleSink
from storage.models import Publication


def publication(**fields: Any) -> Publication:
    values: dict[str, Any] = {
        "id": 42,
        "source_id": "jp_mext_news",
        "doc_key": "k",
        "url": "https://www.mext.go.jp/b_menu/houdou/2026/mext_01820.html",
        "title": "R&D <b>budget</b> & 次世代計算基盤",
        "published_on": date(2026, 3, 2),
        "published_at": datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        "language": "ja",
        "country": "JP",
        "publisher": "文部科学省 <MEXT> & co",
        "doc_type": "executive_order",
        "summary": "  Two spaces, <tags> & [bold]rich markup[/bold] stay as written.  ",
        "attachments": [],
        "topics": ["AI"],
        "first_seen_at": datetime(2026, 3, 2, 10, 5, tzinfo=UTC),
    }
    values.update(fields)
    return Publication(**values)


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("executive_order", "Executive order"),
        ("press_release", "Press release"),
        ("STATEMENT", "Statement"),
        ("IP", "Press release"),
        ("Speech by the Minister", "Speech by the Minister"),  # page text: as written
        ("通知", "通知"),
        (None, "—"),
    ],
)
def test_document_types_read_as_words(code: str | None, label: str) -> None:
    assert doc_type_label(code) == label


@pytest.mark.parametrize(
    ("code", "label"),
    [("ja", "Japanese"), ("zh", "Chinese"), ("ko", "Korean"), ("en", "English"),
     ("zh-Hans", "Chinese"), ("xx", "xx"), (None, "—")],
)  # fmt: skip
def test_languages_read_as_names(code: str | None, label: str) -> None:
    assert language_label(code) == label


def test_dates_are_in_the_source_zone_with_utc_beside() -> None:
    moment = publication(published_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    assert describe_date(moment, "Asia/Tokyo") == "2026-03-02 19:00 JST (10:00 UTC)"
    assert describe_date(moment, "Europe/Brussels") == "2026-03-02 11:00 CET (10:00 UTC)"
    late = publication(published_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    assert describe_date(late, "Asia/Shanghai") == "2026-03-03 07:30 CST (2026-03-02 23:30 UTC)"
    assert describe_date(moment, "Europe/London") == "2026-03-02 10:00 UTC"  # GMT = UTC
    assert describe_date(moment, None) == "2026-03-02 10:00 UTC"
    assert describe_date(moment, "Not/AZone") == "2026-03-02 10:00 UTC"
    day_only = publication(published_at=None, published_on=date(2026, 3, 2))
    assert describe_date(day_only, "Asia/Tokyo") == "2026-03-02"


def test_the_view_names_the_source_and_the_publication() -> None:
    message = alert_message(publication())
    fields = dict(message.fields)
    assert fields["Source"] == "MEXT 新着情報 (RSS 1.0)"  # its name from config/sources.yaml
    assert fields["ID"] == "42"
    assert fields["Date"] == "2026-03-02 19:00 JST (10:00 UTC)"
    assert fields["Type"] == "Executive order"
    assert fields["Language"] == "Japanese"
    assert message.summary == publication().summary  # verbatim, spaces and all


def test_console_and_slack_show_the_same_facts_with_page_text_verbatim() -> None:
    item = publication()
    out = io.StringIO()
    ConsoleSink(Console(file=out, width=300)).show(alert_message(item))
    console = out.getvalue()
    slack = str(publication_payload(item).blocks)
    for name, value in alert_message(item).fields:
        assert f"{name} " in console
        assert value in console
        assert f"*{name}*\\n" in slack
        assert escape(value) in slack
    # The console prints markup-like page text as written, not as formatting.
    assert "[bold]rich markup[/bold]" in console
    assert "R&D <b>budget</b> & 次世代計算基盤" in console
    assert "文部科学省 <MEXT> & co" in console
    # Slack gets the same text escaped for mrkdwn.
    assert "R&amp;D &lt;b&gt;budget&lt;/b&gt; &amp; 次世代計算基盤" in slack
    assert "文部科学省 &lt;MEXT&gt; &amp; co" in slack


def test_an_unknown_source_shows_its_id_and_utc(tmp_path: Path) -> None:
    message = alert_message(publication(source_id="xx_not_configured"))
    fields = dict(message.fields)
    assert fields["Source"] == "xx_not_configured"
    assert fields["Date"] == "2026-03-02 10:00 UTC"
