"""What every endpoint shares: the database, the sources, the settings and the templates."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response

from crawler.sources import SourceConfig
from crawler.web import auth
from crawler.web.settings import WebSettings
from storage import publications_read as read
from storage.db import transaction

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
FACETS_TTL_SECONDS = 60.0


@dataclass
class WebState:
    """What every endpoint needs: the database, the sources, the settings, the templates."""

    engine: Engine
    sources: Callable[[], dict[str, SourceConfig]]
    settings: WebSettings
    templates: Environment
    _facets: tuple[float, read.Facets] | None = None
    _facets_lock: Lock = field(default_factory=Lock)

    def facets(self) -> read.Facets:
        """Filter choices, re-read at most once a minute (they change only with crawls)."""
        with self._facets_lock:
            now = time.monotonic()
            if self._facets is None or now - self._facets[0] > FACETS_TTL_SECONDS:
                with transaction(self.engine) as session:
                    self._facets = (now, read.facets(session))
            return self._facets[1]

    def render(
        self, request: Request, name: str, status_code: int = 200, **context: Any
    ) -> Response:
        template = self.templates.get_template(name)
        body = template.render(
            request=request,
            csrf_token=auth.csrf_token(request),
            logged_in=auth.is_logged_in(request),
            login_enabled=self.settings.password_hash is not None,
            **context,
        )
        return Response(body, status_code=status_code, media_type="text/html; charset=utf-8")


def template_environment() -> Environment:
    """Jinja2 with autoescaping on for HTML and XML (the Atom feed)."""
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
