"""Extraction quality: each source crawled against its saved pages, and what its items carry.

Run ``python -m tests.sources.quality`` for the table; ``govwatch docs sources`` embeds the
same table in docs/sources.md. Every source with a ``tests/fixtures/<id>/serve.yaml`` is
served on 127.0.0.1 and crawled once through the real runner (no database, first page only,
as a regular poll reads it); a source without one is listed as "no fixture yet". The shares
are of the items parsed: title, URL, publication date, summary and language present
(language comes from the item, else from the source's config).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field

from crawler.items import PublicationItem
from crawler.sources import SourceConfig
from tests.crawling import crawl
from tests.servers.pages import FIXTURES, PageServer
from tests.sourcepack import configured_sources, serve_source

MEASURED = ("title", "url", "date", "summary", "language")


@dataclass
class Quality:
    """What one source gave: ``status`` is ``ok``, ``no fixture yet`` or the run's failure."""

    source_id: str
    status: str
    items: int = 0
    shares: dict[str, float] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)


def measure(sources: dict[str, SourceConfig] | None = None) -> list[Quality]:
    """Crawl every source that has fixtures (all in one crawl) and measure its items."""
    sources = configured_sources() if sources is None else sources
    with ExitStack() as stack:
        served: dict[str, SourceConfig] = {}
        for source_id in sources:
            if (FIXTURES / source_id / "serve.yaml").is_file():
                pages = stack.enter_context(PageServer())
                served[source_id] = serve_source(pages, source_id).source
        summaries = {s.source_id: s for s in crawl(list(served.values()), None)} if served else {}
    results = []
    for source_id, source in sources.items():
        summary = summaries.get(source_id)
        if summary is None:
            results.append(Quality(source_id, "no fixture yet"))
        elif summary.failed or not summary.items:
            results.append(Quality(source_id, f"{summary.outcome}: {summary.error}"))
        else:
            results.append(_quality_of(source, summary.items, summary.outcome))
    return results


def _quality_of(source: SourceConfig, items: list[PublicationItem], outcome: str) -> Quality:
    present = {
        "title": [bool(item.title) for item in items],
        "url": [bool(item.url) for item in items],
        "date": [item.published is not None for item in items],
        "summary": [bool(item.summary) for item in items],
        "language": [bool(item.language) for item in items],
    }
    shares = {name: sum(flags) / len(flags) for name, flags in present.items()}
    return Quality(source.id, outcome, len(items), shares, _fields_extracted(source, items))


def _fields_extracted(source: SourceConfig, items: list[PublicationItem]) -> list[str]:
    """The fields the source itself provides (not filled in from its config)."""
    fields = ["title", "url"]
    times = [item.published for item in items if item.published is not None]
    if times:
        fields.append("date+time" if any(hasattr(t, "hour") for t in times) else "date")
    checks = {
        "summary": any(item.summary for item in items),
        "id": any(item.native_id for item in items),
        "type": any(item.doc_type != source.doc_type for item in items),
        "publisher": any(item.publisher != source.publisher for item in items),
        "attachments": any(item.attachments for item in items),
    }
    return fields + [name for name, found in checks.items() if found]


def render_table(results: list[Quality]) -> str:
    """The report as a Markdown table, one row per source, in config order."""
    header = "| source | items | " + " | ".join(MEASURED) + " | status |"
    lines = [header, "|---|--:|" + "--:|" * len(MEASURED) + "---|"]
    for result in results:
        shares = [f"{result.shares[name]:.0%}" if result.shares else "–" for name in MEASURED]
        status = result.status.replace("|", "\\|").replace("\n", " ")
        items = str(result.items) if result.shares else "–"
        lines.append(f"| {result.source_id} | {items} | " + " | ".join(shares) + f" | {status} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    print(render_table(measure()), end="")


if __name__ == "__main__":
    main()
