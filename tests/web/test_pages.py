"""The web app over real HTTP on both databases: search in five languages, filters, the
publication page, sources, the feeds, metrics, escaping and the security headers."""

from __future__ import annotations

import csv
import io
import json
import re

import feedparser
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.web.conftest import SEED, SOURCE_IDS, XSS_TITLE, Seeded
from tests.web.http import Browser

TITLE_LINK = re.compile(r'<a class="title" href="/publications/(\d+)">')


def listed_ids(body: str) -> list[int]:
    return [int(found) for found in TITLE_LINK.findall(body)]


def expected_for(query: str, seeded: Seeded) -> set[int]:
    """Every seeded publication whose title or summary contains each word of ``query``."""
    words = [word.casefold() for word in query.split()]
    return {
        seeded.ids[entry["title"]]
        for entry in SEED
        if all(
            word in (entry["title"] + " " + (entry.get("summary") or "")).casefold()
            for word in words
        )
    }


@pytest.mark.parametrize(
    "query",
    [
        "半導体",  # Japanese, 3 characters: the trigram index
        "電池",  # Japanese, 2 characters: shorter than a trigram
        "改正",  # two characters at the very end of a title
        "발표",  # Korean, two characters at the end
        "正",  # one character, the last of its title
        "猫",  # one character that occurs nowhere
        "人工智能",  # Chinese
        "智",  # Chinese, one character
        "반도체",  # Korean
        "규제 강화",  # Korean, two words: both required
        "künstliche",  # German, case-folded
        "Halbleiter",  # German, in a summary only
        "semiconductor",  # English, in a summary only
        "AI",  # two letters
        "transparency rule",  # words in any order
        "nothing-like-this",
        '"quoted" OR NEAR',  # FTS syntax is text, not a query language
        "100%_",  # LIKE wildcards are text
    ],
)
def test_search_finds_exactly_the_publications_containing_the_words(
    site: str, seeded: Seeded, query: str
) -> None:
    answer = Browser(site).get("/", q=query)
    assert answer.status == 200
    assert set(listed_ids(answer.body)) == expected_for(query, seeded)


def test_the_list_is_newest_first_with_undated_last(site: str, seeded: Seeded) -> None:
    ids = listed_ids(Browser(site).get("/").body)
    by_id = {seeded.ids[entry["title"]]: entry for entry in SEED}
    assert sorted(ids) == sorted(seeded.ids.values())
    days = [by_id[i]["published"] for i in ids]
    dated = [d if not hasattr(d, "date") else d.date() for d in days if d is not None]
    assert dated == sorted(dated, reverse=True)
    assert days[-1] is None


@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        ({"source": "kr_msit"}, "source_id", "kr_msit"),
        ({"country": "JP"}, "country", "JP"),
        ({"language": "de"}, "language", "de"),
        ({"publisher": "BMWK"}, "publisher", "BMWK"),
        ({"doc_type": "notice"}, "doc_type", "notice"),
        ({"topic": "AI"}, "topics", "AI"),
    ],
)
def test_each_filter_keeps_only_matching_publications(
    site: str, seeded: Seeded, params: dict[str, str], field: str, value: str
) -> None:
    ids = set(listed_ids(Browser(site).get("/", **params).body))
    expected = {
        seeded.ids[entry["title"]]
        for entry in SEED
        if (value in entry[field] if field == "topics" else entry[field] == value)
    }
    assert expected
    assert ids == expected


def test_date_range_and_a_bad_date_is_reported_not_a_500(site: str, seeded: Seeded) -> None:
    browser = Browser(site)
    ids = set(listed_ids(browser.get("/", date_from="2026-11-19", date_to="2026-11-24").body))
    assert ids == {
        seeded.ids["半導体産業の新たな戦略について"],
        seeded.ids["반도체 수출 규제 강화 방안 발표"],
    }
    answer = browser.get("/", date_from="yesterday")
    assert answer.status == 200
    assert "is not a date like 2026-01-31" in answer.body


def test_publication_page_shows_metadata_attachments_topics_and_alerts(
    site: str, seeded: Seeded
) -> None:
    browser = Browser(site)
    delivered = browser.get(f"/publications/{seeded.ids['FTC announces rule on AI transparency']}")
    assert delivered.status == 200
    for text in ("Federal Trade Commission", "https://www.ftc.gov/rule.pdf", "The rule",
                 "application/pdf", "12345 bytes", 'href="/?topic=AI"', "console", "sent",
                 "2026-11-28 15:30:00+00:00"):  # fmt: skip
        assert text in delivered.body
    failed = browser.get(f"/publications/{seeded.ids['半導体産業の新たな戦略について']}")
    assert "failed" in failed.body
    assert "channel_not_found" in failed.body
    assert browser.get("/publications/999999").status == 404


def test_sources_page_shows_status_report_and_recent_runs(site: str) -> None:
    body = Browser(site).get("/sources").body
    for source_id in SOURCE_IDS:
        assert f'href="/?source={source_id}"' in body
    assert body.count("ok, ") >= len(SOURCE_IDS)  # each source's run: "ok, N parsed"
    assert "3 parsed, 3 new" in body  # us_ftc stored three


def test_atom_feed_parses_and_follows_the_filters(site: str, seeded: Seeded) -> None:
    feed = feedparser.parse(Browser(site).get("/feed.atom", topic="AI", country="US").body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [entry.title for entry in feed.entries] == ["FTC announces rule on AI transparency"]
    entry = feed.entries[0]
    assert entry.link.startswith("https://example.org/us_ftc/")
    assert entry.tags[0].term == "AI"
    whole = feedparser.parse(Browser(site).get("/feed.atom").body)
    assert {entry.title for entry in whole.entries} == {entry["title"] for entry in SEED}


def test_csv_round_trip(site: str, seeded: Seeded) -> None:
    answer = Browser(site).get("/export.csv")
    rows = list(csv.DictReader(io.StringIO(answer.body)))
    by_title = {entry["title"]: entry for entry in SEED}
    assert {row["title"] for row in rows} == set(by_title)
    for row in rows:
        entry = by_title[row["title"]]
        assert int(row["id"]) == seeded.ids[row["title"]]
        assert row["source"] == entry["source_id"]
        assert (row["topics"].split(";") if row["topics"] else []) == entry["topics"]
        assert row["summary"] == (entry.get("summary") or "")


def test_json_export_filters_like_the_list(site: str, seeded: Seeded) -> None:
    records = json.loads(Browser(site).get("/export.json", q="반도체").body)
    assert [record["id"] for record in records] == [seeded.ids["반도체 수출 규제 강화 방안 발표"]]
    assert records[0]["language"] == "ko"


def test_metrics_parse_and_count_what_is_stored(site: str) -> None:
    text = Browser(site).get("/metrics").body
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("govwatch_runs_total", (("outcome", "ok"), ("source", "us_ftc")))] == 1
    assert samples[("govwatch_new_items_total", (("source", "us_ftc"),))] == 3
    alerts = {
        labels: value for (name, labels), value in samples.items() if name == "govwatch_alerts"
    }
    assert alerts[(("kind", "publication"), ("status", "delivered"))] == 1
    assert alerts[(("kind", "publication"), ("status", "failed"))] == 1
    assert alerts[(("kind", "publication"), ("status", "pending"))] == len(SEED) - 2
    assert samples[("govwatch_alert_delivery_latency_seconds_count", ())] == 1
    assert samples[("govwatch_alert_delivery_latency_seconds_sum", ())] == 42
    assert samples[("govwatch_alert_delivery_latency_seconds_bucket", (("le", "15.0"),))] == 0
    assert samples[("govwatch_alert_delivery_latency_seconds_bucket", (("le", "60.0"),))] == 1
    assert samples[("govwatch_sources", (("state", "new"),))] == len(SOURCE_IDS)


@pytest.mark.parametrize("path", ["/", "/?q=Budget", "/feed.atom", "PAGE"])
def test_markup_in_a_title_is_text_everywhere(site: str, seeded: Seeded, path: str) -> None:
    if path == "PAGE":
        path = f"/publications/{seeded.ids[XSS_TITLE]}"
    body = Browser(site).get(path).body
    assert "<script>alert" not in body
    assert "<img src=x onerror" not in body
    assert "<b>bold</b>" not in body
    assert "&lt;script&gt;alert(" in body


def test_markup_in_a_title_reaches_feed_readers_and_json_as_the_same_text(
    site: str, seeded: Seeded
) -> None:
    feed = feedparser.parse(Browser(site).get("/feed.atom", q="Budget").body)
    assert [entry.title for entry in feed.entries] == [XSS_TITLE]
    answer = Browser(site).get("/export.json", q="Budget")
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert [record["title"] for record in json.loads(answer.body)] == [XSS_TITLE]


def test_security_headers_and_no_inline_script(site: str) -> None:
    answer = Browser(site).get("/")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert re.search(r"<script(?![^>]*\bsrc=)", answer.body) is None  # every script has a src
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    htmx = Browser(site).get("/static/htmx.min.js")
    assert htmx.status == 200
    assert "htmx" in htmx.body[:200]
