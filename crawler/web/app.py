"""The Starlette application: routes, templates, sessions and security headers.

Why Starlette + Jinja2 + uvicorn: the pages are server-rendered HTML with a few feeds, so a
small ASGI toolkit is enough (no ORM or form layer to fight — storage/ already has both);
Jinja2 is already a dependency and autoescapes; uvicorn is the reference ASGI server and
can run in a thread beside the daemon. Endpoints are plain functions: Starlette runs them in
its thread pool, which suits the synchronous SQLAlchemy sessions used everywhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from crawler.sources import SourceConfig
from crawler.web import auth, digest_pages, exports, login, pages
from crawler.web.metrics import metrics_registry, render_metrics
from crawler.web.settings import WebSettings
from crawler.web.state import STATIC_DIR, WebState, template_environment

logger = logging.getLogger(__name__)
SESSION_COOKIE = "govwatch_session"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
OPEN_PATHS = ("/login", "/static/", "/metrics")


class SecurityHeaders(BaseHTTPMiddleware):
    """CSP without inline script, and the read gate when listening beyond loopback."""

    def __init__(self, app: Any, settings: WebSettings) -> None:
        super().__init__(app)
        self.settings = settings

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        gated = self.settings.read_needs_login and not path.startswith(OPEN_PATHS)
        if gated and not auth.is_logged_in(request):
            response: Response = RedirectResponse(f"/login?next={request.url.path}", 303)
        else:
            response = await call_next(request)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response


def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database not answering (down, unreachable, locked) is one clear line for the
    reader and one log line for ops, not a bare 500 and a traceback."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    logger.error("govwatch web: the database did not answer for %s: %s", request.url.path, reason)
    return PlainTextResponse(
        "The database is not answering; try again in a moment.", status_code=503
    )


def create_app(
    engine: Engine, sources: Callable[[], dict[str, SourceConfig]], settings: WebSettings
) -> Starlette:
    """The web app on ``engine``; ``sources`` gives the configured sources for /sources."""
    state = WebState(engine, sources, settings, template_environment())
    registry = metrics_registry(engine)

    def metrics(_request: Request) -> Response:
        return Response(render_metrics(registry), media_type="text/plain; version=0.0.4")

    routes = [
        Route("/", pages.publications_page),
        Route("/publications/{publication_id:int}", pages.publication_page),
        Route("/sources", pages.sources_page),
        Route("/feed.atom", exports.atom_feed),
        Route("/export.csv", exports.csv_export),
        Route("/export.json", exports.json_export),
        Route("/metrics", metrics),
        Route("/login", login.login_form, methods=["GET"]),
        Route("/login", login.login_submit, methods=["POST"]),
        Route("/logout", login.logout_submit, methods=["POST"]),
        *digest_pages.routes(),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            same_site="strict",
            https_only=False,
            max_age=12 * 3600,
        ),
        Middleware(SecurityHeaders, settings=settings),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={OperationalError: database_unavailable},
    )
    app.state.web = state
    return app
