"""Runner pieces that are plain functions: batching and per-host concurrency."""

from __future__ import annotations

from crawler.runner import _batches, download_slots
from crawler.runs import RunState
from tests.crawling import make_source


def test_hosts_get_the_lowest_concurrency_their_sources_ask_for() -> None:
    sources = [
        make_source(id="cn_a", urls=["https://www.beijing.gov.cn/a/"], concurrency=2),
        make_source(id="cn_b", urls=["https://www.beijing.gov.cn/b/"], concurrency=1),
        make_source(id="us_c", urls=["https://www.nsf.gov/rss.xml"]),
    ]
    assert download_slots(sources) == {"www.beijing.gov.cn": {"concurrency": 1}}


def test_a_source_named_twice_goes_into_a_second_batch() -> None:
    a, b = (
        make_source(id="us_a", urls=["https://a.gov/"]),
        make_source(id="us_b", urls=["https://b.gov/"]),
    )
    batches = _batches([RunState(a), RunState(b), RunState(a)])
    assert [[state.source.id for state in batch] for batch in batches] == [
        ["us_a", "us_b"],
        ["us_a"],
    ]
