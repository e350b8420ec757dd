"""The HTML pages: the publication list (with search and filters), one publication, sources."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from crawler.source_status import build_report
from crawler.web.filters import PAGE_SIZE, parse_list_request, query_string
from crawler.web.routing_view import routes_for
from crawler.web.state import web_state
from storage import publications_read as read
from storage.db import transaction
from storage.models import utcnow

RUNS_PER_SOURCE = 5


def publications_page(request: Request) -> Response:
    """``/``: newest first; htmx asks for the result block only (``HX-Request``)."""
    state = web_state(request)
    asked = parse_list_request(request.query_params)
    with transaction(state.engine) as session:
        found = read.list_publications(
            session, asked.wanted, limit=PAGE_SIZE + 1, offset=(asked.page - 1) * PAGE_SIZE
        )
    context: dict[str, Any] = {
        "publications": found[:PAGE_SIZE],
        "wanted": asked.wanted,
        "page": asked.page,
        "problems": asked.problems,
        "next_query": query_string(asked.wanted, page=asked.page + 1)
        if len(found) > PAGE_SIZE
        else None,
        "previous_query": query_string(asked.wanted, page=asked.page - 1)
        if asked.page > 1
        else None,
        "filter_query": query_string(asked.wanted),
    }
    if request.headers.get("HX-Request") == "true":
        return state.render(request, "_results.html", **context)
    return state.render(request, "publications.html", facets=state.facets(), **context)


def publication_page(request: Request) -> Response:
    """``/publications/ID``: every field, attachments, topics, routes and alert deliveries."""
    state = web_state(request)
    publication_id = int(request.path_params["publication_id"])
    with transaction(state.engine) as session:
        publication = read.get_publication(session, publication_id)
        if publication is None:
            return state.render(
                request, "not_found.html", status_code=404, what=f"publication {publication_id}"
            )
        outbox = read.outbox_rows(session, publication_id)
        run = read.publication_run(session, publication)
    return state.render(
        request,
        "publication.html",
        publication=publication,
        outbox=outbox,
        run=run,
        routes=routes_for(publication),
    )


def sources_page(request: Request) -> Response:
    """``/sources``: the same report as ``govwatch status``, plus each source's recent runs."""
    state = web_state(request)
    sources = state.sources()
    with transaction(state.engine) as session:
        report = build_report(session, sources, utcnow())
        runs = read.recent_runs(session, list(sources), RUNS_PER_SOURCE)
    return state.render(request, "sources.html", report=report, runs=runs)
