"""``govwatch sources``: the configured sources, for people (a table) and tools (``--json``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.context import configured_sources, stdout

if TYPE_CHECKING:
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
    """List the configured sources: name, publisher, country, language, kind, schedule, URL.

    Example: govwatch sources --json
    """
    sources = configured_sources()
    if as_json:
        for source in sources.values():
            print(json.dumps(source_json(source), ensure_ascii=False))
        return
    table = Table(title=f"{len(sources)} sources", title_justify="left")
    shown_ids = [s.id if s.enabled else f"{s.id} (disabled)" for s in sources.values()]
    table.add_column("id", no_wrap=True, min_width=max(map(len, shown_ids), default=2))
    table.add_column("name", max_width=36)
    table.add_column("publisher", max_width=30)
    for column in ("country", "lang", "kind", "schedule"):
        table.add_column(column, no_wrap=True)
    # One line per URL at most: cut with … on a narrow terminal (`--json` has them whole).
    table.add_column("endpoint", no_wrap=True, overflow="ellipsis", max_width=48)
    for shown_id, source in zip(shown_ids, sources.values(), strict=True):
        endpoint = str(source.urls[0]) + (
            f" (+{len(source.urls) - 1})" if len(source.urls) > 1 else ""
        )
        table.add_row(
            shown_id,
            escape(source.name),
            escape(source.publisher or "—"),
            source.country,
            source.language,
            source.kind,
            source.schedule.describe(),
            escape(endpoint),
        )
    stdout.print(table)
