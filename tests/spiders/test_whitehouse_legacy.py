"""us_whitehouse on a feed shaped like the 2022 "Briefing Room" capture: legacy categories
and /briefing-room/<section>/ paths typed right, an unknown category counted."""

from __future__ import annotations

from tests.crawling import crawl
from tests.servers.pages import PageServer, Route
from tests.sourcepack import configured, fixture_bytes


def test_legacy_categories_and_paths_are_typed_and_unknown_ones_counted(
    pages: PageServer,
) -> None:
    url = pages.route(
        "/briefing-room/feed/",
        Route(
            fixture_bytes("us_whitehouse", "legacy-briefing-room-feed.xml"),
            content_type="application/rss+xml; charset=UTF-8",
        ),
    )
    source = configured("us_whitehouse").with_urls([url]).model_copy(update={"max_pages": 1})
    summary = crawl(source, None)[0]
    assert summary.outcome == "ok"
    types = {item.native_id: item.doc_type for item in summary.items}
    assert types == {
        "https://www.whitehouse.gov/?p=1001": "statement",
        "https://www.whitehouse.gov/?p=1002": "remarks",
        "https://www.whitehouse.gov/?p=1003": "press_briefing",
        "https://www.whitehouse.gov/?p=1004": "presidential_action",
        "https://www.whitehouse.gov/?p=1005": "legislation",
        "https://www.whitehouse.gov/?p=1006": "blog",
        "https://www.whitehouse.gov/?p=1007": "statement",
        "https://www.whitehouse.gov/?p=1008": "remarks",
        "https://www.whitehouse.gov/?p=1009": "nomination",
        # "Economy" is not a type: the section path types it, and the label is counted.
        "https://www.whitehouse.gov/?p=1010": "statement",
    }
    assert summary.unknown_types == {"Economy": 1}
    assert "news" not in types.values()
