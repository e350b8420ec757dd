"""What a list page's past runs say, handed to its spider by the crawl engine.

The layout-drift fallback (spiders/fallback.py) must re-find items govwatch already knows
before it trusts a page whose selectors stopped matching, and notices a drift when far fewer
rows match than on the last good run. Spiders do not read the database: the runner puts a
loader on the run (:attr:`crawler.runs.RunState.layout_loader`) and this is what it gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from sqlalchemy import Engine

from storage.layout_history import load_known_items


@dataclass(frozen=True)
class LayoutHistory:
    """A source's known item URLs (canonical), the folders they sit in, and how many rows
    its last good regular (non-baseline) run read."""

    urls: frozenset[str]
    folders: frozenset[str]
    usual_rows: int | None

    @classmethod
    def empty(cls) -> LayoutHistory:
        return cls(frozenset(), frozenset(), None)


def url_folder(url: str) -> str:
    """``https://h/a/b/c.html`` → ``h/a/b/``: where a source keeps its documents."""
    parts = urlsplit(url)
    path = parts.path.rsplit("/", 1)[0]
    return f"{parts.hostname or ''}{path}/"


def load_layout_history(engine: Engine, source_id: str) -> LayoutHistory:
    """The source's newest known items and its last good run's row count, from storage."""
    known = load_known_items(engine, source_id)
    return LayoutHistory(
        urls=frozenset(known.urls),
        folders=frozenset(url_folder(url) for url in known.urls),
        usual_rows=known.usual_rows,
    )


def layout_loader(engine: Engine, source_id: str) -> Callable[[], LayoutHistory]:
    """Read only when a spider asks (most runs never need the fallback)."""
    return partial(load_layout_history, engine, source_id)
