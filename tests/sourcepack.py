"""Crawl a configured source against its saved pages, served over real HTTP.

Each ``tests/fixtures/<source_id>/serve.yaml`` says which saved file is served at which path
and with which Content-Type, and which of them stand for the source's configured URLs
(``start: true``, in config order), and optionally ``rebase: <URL prefix>``: absolute URLs
in the body starting with it are pointed at the test server (an API's own next-page URL)::

    pages:
      - path: /b_menu/news/index.rdf
        file: index.rdf
        content_type: application/rdf+xml
        start: true

:func:`serve_source` serves them all on the test's :class:`PageServer` and returns the
configured source pointed at them — the same config the service uses, only the URLs differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from crawler.config_loader import load_sources
from crawler.sources import SourceConfig
from tests.servers.pages import FIXTURES, PageServer, Route

ROOT = Path(__file__).resolve().parent.parent


@cache
def configured_sources() -> dict[str, SourceConfig]:
    return load_sources(ROOT / "config" / "sources.yaml")


def configured(source_id: str) -> SourceConfig:
    return configured_sources()[source_id]


def fixture_bytes(source_id: str, name: str) -> bytes:
    return (FIXTURES / source_id / name).read_bytes()


@dataclass
class ServedPage:
    path: str
    file: str
    content_type: str
    start: bool
    route: Route


@dataclass
class ServedSource:
    """A source served from its fixtures; ``page(file)`` gives the route to edit."""

    source: SourceConfig
    pages: list[ServedPage]

    def page(self, file: str) -> ServedPage:
        return next(page for page in self.pages if page.file == file)

    def replace(self, file: str, body: bytes) -> None:
        """Serve other bytes for this file from now on (a new item, a redesign)."""
        self.page(file).route.body = body


def serve_manifest(source_id: str) -> list[dict[str, Any]]:
    manifest = yaml.safe_load((FIXTURES / source_id / "serve.yaml").read_text(encoding="utf-8"))
    return list(manifest["pages"])


def serve_source(pages: PageServer, source_id: str, **updates: Any) -> ServedSource:
    """Serve every saved page of the source; the configured source reads the local copies."""
    served = []
    for entry in serve_manifest(source_id):
        body = fixture_bytes(source_id, entry["file"])
        if entry.get("rebase"):
            prefix = str(entry["rebase"])
            body = body.replace(prefix.encode(), pages.url(urlsplit(prefix).path).encode())
        route = Route(
            body,
            content_type=entry.get("content_type", "text/html"),
            status=int(entry.get("status", 200)),
        )
        pages.route(entry["path"], route)
        served.append(
            ServedPage(
                entry["path"], entry["file"], route.content_type, bool(entry.get("start")), route
            )
        )
    start_urls = [pages.url(page.path) for page in served if page.start]
    source = configured(source_id).with_urls(start_urls)
    if updates:
        source = SourceConfig.model_validate({**source.model_dump(by_alias=True), **updates})
    return ServedSource(source, served)
