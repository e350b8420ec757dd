"""``govwatch check``: fetch a source (or any URL in its format) and print what it parses.

A dry run: nothing is written, no alert is sent. Tooling outside govwatch reads
``--json`` (one object per item per line, fields in docs/cli.md), so keep it stable.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from crawler.cli.context import pick_sources, stderr, stdout
from crawler.reactor import run_on_reactor
from crawler.runner import CrawlOptions, crawl_sources
from crawler.sources import Expect


def check_command(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(metavar="SOURCE")],
    url: Annotated[
        list[str] | None,
        typer.Option("--url", help="Read this URL instead of the configured ones."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per item.")] = False,
    pages: Annotated[int, typer.Option(min=1, help="Pages to follow where the source pages.")] = 1,
) -> None:
    """Fetch and parse a source without storing anything; exit 1 if it yields no items.

    Example: govwatch check jp_mext_news --url https://www.mext.go.jp/b_menu/news/index.rdf --json
    """
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
    options = CrawlOptions(dry_run=True, backfill=pages > 1)
    if (ctx.find_root().obj or {}).get("log_level") is None:
        # The reason is printed below, once; the runner's log line would say it again.
        logging.getLogger("crawler.runner").setLevel(logging.ERROR)
    summary = run_on_reactor(crawl_sources([source], engine=None, options=options))[0]
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
    if summary.failed or not summary.items:
        reason = summary.error or f"{source.id}: no items could be read"
        stderr.print(f"govwatch check: {summary.outcome}: {reason}")
        raise typer.Exit(1)
    if summary.items_invalid:
        stderr.print(f"govwatch check: {summary.error}")
