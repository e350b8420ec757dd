"""The demo's story: baseline crawl, new publications appear, second crawl, alerts.

Everything happens on 127.0.0.1 and in a SQLite file of its own (``var/demo.sqlite3``), so
the demo works offline and never touches the configured database.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from crawler.alerts.outbox import dispatch_pending
from crawler.alerts.sinks.console import ConsoleSink
from crawler.demo.site import DemoServer, DemoSite, SampleItem
from crawler.runner import CrawlOptions, RunSummary, crawl_sources
from crawler.service.reactor import run_on_reactor
from crawler.sources import Expect, SourceConfig
from storage.db import ready_engine, transaction
from storage.publications import database_totals

DEMO_DATABASE = Path("var") / "demo.sqlite3"
DEMO_PATHS = {
    "us_whitehouse": "/whitehouse/releases/feed/",
    "eu_commission_press": "/presscorner/api/search?language=en&pagesize=50&pagenumber=1",
    "jp_mext_news": "/mext/index.rdf",
    "jp_mext_news_list": "/mext/index.html",
    "cn_beijing_policy": "/beijing/zhengcefagui/",
    "us_nsf_news": "/nsf/rss_www_news.xml",
    "us_nsf_news_list": "/nsf/news/releases",
}
# Scrapy's politeness delays are for real sites; the local imitation needs none.
DEMO_SETTINGS = {"AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": True, "RETRY_TIMES": 0}


def demo_sources(configured: dict[str, SourceConfig], base_url: str) -> list[SourceConfig]:
    """The configured sources of the five sites, pointed at the local imitation."""
    return [
        configured[source_id]
        .with_urls([base_url + path])
        .model_copy(update={"expect": Expect(min_items=1)})
        for source_id, path in DEMO_PATHS.items()
        if source_id in configured
    ]


def new_publications(today: date) -> dict[str, SampleItem]:
    return {
        "whitehouse": SampleItem(
            "Executive Order on Accelerating Federal AI Research Infrastructure",
            today,
            "61050",
            "eo-federal-ai-research-infrastructure",
            "The order directs agencies to share compute for AI research.",
        ),
        "ec": SampleItem(
            "Commission adopts Quantum Europe Strategy",
            today,
            "IP/26/2325",
            summary="The strategy sets out actions on quantum computing, sensing and networks.",
        ),
        "mext": SampleItem(
            "次世代計算基盤に関する検討会（第5回）の開催について",
            today,
            "01820",
            tag="科学技術・学術",
        ),
        "beijing": SampleItem(
            "北京市支持具身智能机器人产业创新发展的若干措施",
            today,
            "4871034",
            summary="支持具身智能机器人关键技术攻关和应用场景建设。",
        ),
        "nsf": SampleItem(
            "NSF launches national semiconductor research network",
            today,
            "",
            "nsf-semiconductor-research-network",
            "The network connects fabrication facilities at 12 universities.",
        ),
    }


def run_demo(configured: dict[str, SourceConfig], console: Console) -> int:
    """Run the whole demo; return the number of alerts shown."""
    DEMO_DATABASE.unlink(missing_ok=True)
    engine = ready_engine(f"sqlite:///{DEMO_DATABASE}")
    today = date.today()  # noqa: DTZ011 - sample dates only need to look recent
    site = DemoSite(today=today - timedelta(days=1))
    options = CrawlOptions(settings=DEMO_SETTINGS)
    with DemoServer(site) as server:
        sources = demo_sources(configured, server.base_url)
        console.rule("[bold]1. First crawl: a silent baseline")
        console.print(f"Serving imitations of 5 government sites at {server.base_url}")
        _show(console, run_on_reactor(crawl_sources(sources, engine=engine, options=options)))
        console.rule("[bold]2. The sites publish new items")
        for source, item in new_publications(today).items():
            site.publish(source, item)
            console.print(f"  {source}: {item.title}")
        console.rule("[bold]3. Second crawl: only the new items are alerted")
        _show(console, run_on_reactor(crawl_sources(sources, engine=engine, options=options)))
        report = dispatch_pending(engine, ConsoleSink(console))
    console.rule("[bold]4. Where the data went")
    with transaction(engine) as session:
        publications, runs, alerts = database_totals(session)
    console.print(
        f"Database: {DEMO_DATABASE.resolve()} — {publications} publications, {runs} crawl runs, "
        f"{alerts} alerts ({report.sent} shown above). The NSF feed and list carry the same "
        "documents: they are stored twice, alerted once."
    )
    console.print(
        "Next: `govwatch sources` lists the real sources; `govwatch run` watches them on "
        "their schedules, `govwatch crawl --all` once (both need network)."
    )
    return report.sent


def _show(console: Console, summaries: list[RunSummary]) -> None:
    for summary in summaries:
        status = "[red]" if summary.failed else "[green]"
        note = " (baseline, no alerts)" if summary.is_baseline else ""
        console.print(
            f"  {summary.source_id:<22} {status}{summary.outcome}[/] "
            f"{summary.items_parsed} items, {summary.items_new} new{note}"
            + (f" — {summary.error}" if summary.error else "")
        )
