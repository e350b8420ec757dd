"""``govwatch check``: fetch a source (or any URL in its format) and print what it parses.

A dry run: nothing is written, no alert is sent. Tooling outside govwatch reads
``--json`` (one object per item per line, fields in docs/cli.md), so keep it stable.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from crawler.cli.context import engine, pick_sources, stderr, stdout

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crawler.runner import RunSummary

SAVE_MIDDLEWARE = "crawler.middlewares.save_responses.SaveResponsesMiddleware"


def check_command(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(metavar="SOURCE")],
    url: Annotated[
        list[str] | None,
        typer.Option("--url", help="Read this URL instead of the configured ones."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per item.")] = False,
    pages: Annotated[int, typer.Option(min=1, help="Pages to follow where the source pages.")] = 1,
    suggest: Annotated[
        bool,
        typer.Option(
            "--suggest",
            help="List pages: print the selector set the layout fallback reads (YAML to paste).",
        ),
    ] = False,
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            help="Write every response (body, status, headers) to DIR as test fixtures.",
            metavar="DIR",
        ),
    ] = None,
) -> None:
    """Fetch and parse a source without storing anything; exit 1 if it yields no items.

    Example: govwatch check jp_mext_news --url https://www.mext.go.jp/b_menu/news/index.rdf --json
    """
    # Imported here, not at the top: `govwatch --help` must not load Scrapy and Twisted.
    from pydantic import ValidationError

    from crawler import settings as crawl_settings
    from crawler.middlewares.save_responses import SAVE_SETTING
    from crawler.runner import CrawlOptions, crawl_sources
    from crawler.service.reactor import run_on_reactor
    from crawler.sources import Expect

    source = pick_sources([source_id], False)[0]
    if url:
        # Another page in the source's format may hold fewer items than the usual endpoint.
        try:
            source = source.with_urls(url).model_copy(update={"expect": Expect(min_items=1)})
        except ValidationError:
            stderr.print(
                f"govwatch check: --url must be an http(s) URL, got {', '.join(map(repr, url))}",
                markup=False,
            )
            raise typer.Exit(2) from None
    if pages > 1:
        source = source.model_copy(update={"max_pages": pages})
    settings: dict[str, Any] = {}
    if save is not None:
        settings[SAVE_SETTING] = str(save)
        settings["DOWNLOADER_MIDDLEWARES"] = {
            **crawl_settings.DOWNLOADER_MIDDLEWARES,
            SAVE_MIDDLEWARE: 300,
        }
    options = CrawlOptions(
        dry_run=True, backfill=pages > 1, settings=settings, suggest_layout=suggest
    )
    if (ctx.find_root().obj or {}).get("log_level") is None:
        # The reason is printed below, once; the runner's log line would say it again.
        logging.getLogger("crawler.runner").setLevel(logging.ERROR)
    # The layout fallback is guided by the items already stored; nothing is written.
    history = history_engine() if suggest else None
    summary = run_on_reactor(crawl_sources([source], engine=history, options=options))[0]
    if as_json:
        for item in summary.items:
            print(json.dumps(item.to_json_dict(), ensure_ascii=False))
    elif summary.items:
        table = Table(title=f"{source.id}: {len(summary.items)} items", title_justify="left")
        for column in ("published", "title", "url", "type"):
            table.add_column(column, overflow="fold")
        for item in summary.items:
            published = item.published.isoformat() if item.published else "—"
            table.add_row(published, item.title, item.url, item.doc_type or "")
        stdout.print(table)
    report_extras(summary, suggest=suggest, save=save, as_json=as_json)
    if summary.failed or not summary.items:
        reason = summary.error or f"{source.id}: no items could be read"
        stderr.print(f"govwatch check: {summary.outcome}: {reason}")
        raise typer.Exit(1)
    if summary.items_invalid:
        stderr.print(f"govwatch check: {summary.error}")


def history_engine() -> Engine | None:
    """The database, read for the source's known items; None (said once) if unreachable."""
    try:
        return engine()
    except Exception as exc:  # any reason the database cannot be opened: go on without it
        stderr.print(
            f"govwatch check: the database could not be read ({type(exc).__name__}); "
            "the suggestion is not checked against known items"
        )
        return None


def report_extras(summary: RunSummary, *, suggest: bool, save: Path | None, as_json: bool) -> None:
    """What a check learnt beyond the items: duplicates, unmapped types, layout drift."""
    if summary.repeated:
        stderr.print(
            f"govwatch check: {summary.repeated} repeated entries in the responses "
            "(each listed once)"
        )
    if summary.unknown_types:
        shown = ", ".join(
            f"{label!r} ×{count}" for label, count in sorted(summary.unknown_types.items())
        )
        stderr.print(f"govwatch check: type labels with no mapping: {shown}")
    if summary.outcome == "degraded":
        stderr.print(f"govwatch check: degraded: {summary.error}")
    if suggest:
        if summary.layout_suggestion and as_json:
            stderr.print(summary.layout_suggestion, markup=False)  # stdout is JSON Lines
        elif summary.layout_suggestion:
            print(summary.layout_suggestion)
        else:
            stderr.print(
                "govwatch check: no suggestion: not a list page, or no repeated list of "
                "dated links was found"
            )
    if save is not None:
        stderr.print(f"govwatch check: responses saved in {save} (serve.yaml, SOURCE.md)")
