"""``govwatch crawl``: one pass over some or all sources, then deliver the alerts."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from crawler.alerts.dispatch import dispatch_all
from crawler.alerts.router import publication_router
from crawler.app_config import load_app_config
from crawler.cli.context import engine, pick_sources, stdout
from crawler.reactor import run_on_reactor
from crawler.runner import CrawlOptions, RunSummary, crawl_sources
from storage.run_owners import close_abandoned_runs


def crawl_command(
    source_ids: Annotated[list[str] | None, typer.Argument(metavar="SOURCE...")] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Crawl every enabled source.")] = False,
    backfill: Annotated[
        bool, typer.Option(help="Alert on a first crawl too, and read older pages.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per run.")] = False,
) -> None:
    """Crawl sources once, store new publications and show their alerts.

    Example: govwatch crawl jp_mext_news us_nsf_news
    """
    sources = pick_sources(source_ids or [], all_sources)
    config = load_app_config()
    database = engine()
    close_abandoned_runs(database)
    summaries = run_on_reactor(
        crawl_sources(
            sources,
            engine=database,
            options=CrawlOptions(backfill=backfill),
            router=publication_router(config),
        )
    )
    dispatch_all(database, config)
    if as_json:
        for summary in summaries:
            print(json.dumps(summary_json(summary), ensure_ascii=False))
    else:
        print_summary(summaries)
    if any(summary.failed for summary in summaries):
        raise typer.Exit(1)


def summary_json(summary: RunSummary) -> dict[str, object]:
    return {
        "source": summary.source_id,
        "run_id": summary.run_id,
        "outcome": summary.outcome,
        "baseline": summary.is_baseline,
        "http_statuses": summary.http_statuses,
        "items": summary.items_parsed,
        "new": summary.items_new,
        "invalid": summary.items_invalid,
        "error": summary.error,
        "duration_s": round(summary.duration, 3),
        "duplicates": summary.items_duplicate,
        "moved": summary.items_moved,
    }


def print_summary(summaries: list[RunSummary]) -> None:
    table = Table(title="Crawl summary", title_justify="left")
    for column in ("source", "outcome", "fetched", "not modified", "items", "new", "errors"):
        table.add_column(column)
    for summary in summaries:
        statuses = summary.http_statuses
        fetched = sum(count for code, count in statuses.items() if code != "304")
        style = "red" if summary.failed else ("green" if summary.items_new else "")
        baseline = summary.is_baseline and not summary.failed
        new = f"{summary.items_new} (baseline)" if baseline else str(summary.items_new)
        table.add_row(
            summary.source_id,
            f"[{style}]{summary.outcome}[/]" if style else summary.outcome,
            str(fetched),
            str(statuses.get("304", 0)),
            str(summary.items_parsed),
            new,
            summary.error or "",
        )
    stdout.print(table)
    if any(summary.is_baseline and not summary.failed for summary in summaries):
        stdout.print(
            "First crawls are a silent baseline: what is there now is recorded without alerts "
            "(use --backfill to alert on it). New publications from now on are alerted."
        )
