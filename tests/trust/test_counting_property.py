"""Property: whatever a feed holds (duplicates, missing links or guids, dates out of range,
unreadable or missing dates), every entry is counted once: new, duplicate or invalid.

``GOVWATCH_HYPOTHESIS_EXAMPLES`` raises the number of generated feeds for an on-demand run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage.db import make_engine, transaction, upgrade
from storage.models import Publication
from tests.crawling import crawl, make_source
from tests.servers.pages import PageServer
from tests.trust.feeds import Entry, LiveFeed, days_ago

EXAMPLES = int(os.environ.get("GOVWATCH_HYPOTHESIS_EXAMPLES", "30"))
DATES = st.sampled_from(
    [
        days_ago(1),
        days_ago(2),
        days_ago(400),
        "Mon, 01 Jan 1979 10:00:00 +0000",
        "Fri, 31 Dec 9999 23:00:00 -0500",
        "not a date",
        None,
    ]
)
ENTRIES = st.builds(
    Entry,
    title=st.sampled_from(["Press Briefing", "Order 1", "Notice", "Statement on AI"]),
    link=st.one_of(st.none(), st.sampled_from([f"https://agency.example/n/{i}" for i in range(4)])),
    guid=st.one_of(st.none(), st.sampled_from(["tag:a,2026:1", "tag:a,2026:2"])),
    date=DATES,
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(ENTRIES, min_size=1, max_size=8), st.lists(ENTRIES, max_size=3))
def test_every_entry_is_new_duplicate_or_invalid(first: list[Entry], later: list[Entry]) -> None:
    with PageServer() as pages, tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'gw.sqlite3'}")
        upgrade(engine)
        feed = LiveFeed(pages, first)
        source = make_source(urls=[feed.url])
        summaries = [crawl(source, engine)[0]]
        feed.entries = later + first
        summaries.append(crawl(source, engine)[0])
        stored_new = 0
        for summary in summaries:
            assert summary.items_parsed == (
                summary.items_new + summary.items_duplicate + summary.items_invalid
            ), summary
            stored_new += summary.items_new
        assert summaries[0].items_parsed == len(first)
        with transaction(engine) as session:
            stored = session.scalar(select(func.count()).select_from(Publication))
        assert stored == stored_new
        engine.dispose()
