"""``govwatch crawl``: one pass over some or all sources, then deliver the alerts."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.context import engine, pick_sources, stderr, stdout

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crawler.runner import RunSummary

INTERRUPTED_EXIT = 130  # the shell's code for "stopped by SIGINT"


def crawl_command(
    ctx: typer.Context,
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
    # Imported here, not at the top: `govwatch --help` must not load Scrapy and Twisted.
    from crawler.alerts.dispatch import dispatch_all
    from crawler.alerts.sinks.console import ConsoleSink
    from crawler.app_config import load_app_config
    from crawler.cli.crawl_report import common_failure
    from crawler.cli.progress import run_with_progress
    from crawler.runner import CrawlOptions, crawl_sources
    from storage.models import utcnow
    from storage.run_owners import close_abandoned_runs

    sources = pick_sources(source_ids or [], all_sources)
    config = load_app_config()
    database = engine()
    close_abandoned_runs(database)
    if (ctx.find_root().obj or {}).get("log_level") is None:
        # Each run is reported below; its log line (with the full record) would repeat it.
        logging.getLogger("crawler.runner").setLevel(logging.ERROR)
    started = utcnow()
    try:
        summaries = run_with_progress(
            crawl_sources(
                sources,
                engine=database,
                options=CrawlOptions(backfill=backfill, app_config=config),
            ),
            console=stderr,
            database=database,
            source_ids=[source.id for source in sources],
            started=started,
        )
    except KeyboardInterrupt:
        closed = close_interrupted_runs(database, [source.id for source in sources], started)
        stderr.print(
            f"govwatch crawl: interrupted (Ctrl-C); {closed} unfinished run(s) recorded as "
            "`interrupted`.",
            markup=False,
        )
        raise typer.Exit(INTERRUPTED_EXIT) from None
    # With --json, stdout carries JSON Lines only: alert panels go to stderr.
    dispatch_all(database, config, ConsoleSink(stderr) if as_json else None)
    if as_json:
        for summary in summaries:
            print(json.dumps(summary_json(summary), ensure_ascii=False))
    else:
        print_summary(summaries, backfill=backfill)
    if cause := common_failure(summaries):
        (stderr if as_json else stdout).print(cause.line(), markup=False)
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


def close_interrupted_runs(database: Engine, source_ids: list[str], started: datetime) -> int:
    """Record this command's runs still ``running`` as ``interrupted``; how many there were.

    Only runs this process started (same sources, started since the command began) are
    closed: a scheduler crawling the same sources elsewhere keeps its own runs.
    """
    from storage.db import transaction
    from storage.runs import close_unfinished_runs

    with transaction(database) as session:
        return close_unfinished_runs(
            session,
            started_since=started,
            reason="the crawl was interrupted (SIGINT)",
            source_ids=source_ids,
        )


def print_summary(summaries: list[RunSummary], *, backfill: bool = False) -> None:
    from crawler.cli.crawl_report import short_reason

    table = Table(title="Crawl summary", title_justify="left")
    for column in ("source", "outcome", "fetched", "not modified", "items", "new", "errors"):
        table.add_column(column)
    for summary in summaries:
        statuses = summary.http_statuses
        fetched = sum(count for code, count in statuses.items() if code != "304")
        style = "red" if summary.failed else ("green" if summary.items_new else "")
        baseline = summary.is_baseline and not summary.failed and not backfill
        new = f"{summary.items_new} (baseline)" if baseline else str(summary.items_new)
        table.add_row(
            summary.source_id,
            f"[{style}]{summary.outcome}[/]" if style else summary.outcome,
            str(fetched),
            str(statuses.get("304", 0)),
            str(summary.items_parsed),
            new,
            escape(short_reason(summary)) if summary.error else "",
        )
    stdout.print(table)
    if not backfill and any(summary.is_baseline and not summary.failed for summary in summaries):
        stdout.print(
            "First crawls are a silent baseline: what is there now is recorded without alerts "
            "(use --backfill to alert on it). New publications from now on are alerted."
        )
