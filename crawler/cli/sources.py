"""``govwatch sources``: the configured sources, for people (a table) and tools (``--json``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from crawler.cli.context import configured_sources, stdout
from crawler.sources import SourceConfig


def source_json(source: SourceConfig) -> dict[str, object]:
    """The stable machine form of a source (docs/cli.md)."""
    return {
        "id": source.id,
        "name": source.name,
        "kind": source.kind,
        "country": source.country,
        "language": source.language,
        "publisher": source.publisher,
        "doc_type": source.doc_type,
        "timezone": source.timezone,
        "schedule": source.schedule.describe(),
        "urls": [str(url) for url in source.urls],
        "enabled": source.enabled,
    }


def sources_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per source.")] = False,
) -> None:
    """List the configured sources with country, language, kind, schedule and endpoint.

    Example: govwatch sources --json
    """
    sources = configured_sources()
    if as_json:
        for source in sources.values():
            print(json.dumps(source_json(source), ensure_ascii=False))
        return
    table = Table(title=f"{len(sources)} sources", title_justify="left")
    for column in ("id", "country", "lang", "kind", "schedule", "endpoint"):
        table.add_column(column, overflow="fold")
    for source in sources.values():
        endpoint = str(source.urls[0]) + (
            f" (+{len(source.urls) - 1})" if len(source.urls) > 1 else ""
        )
        table.add_row(
            source.id if source.enabled else f"{source.id} (disabled)",
            source.country,
            source.language,
            source.kind,
            source.schedule.describe(),
            endpoint,
        )
    stdout.print(table)
