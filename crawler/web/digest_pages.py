"""The digest in the web app: list, review page, edits, approve / reopen / publish, outputs.

Every digest page and form needs the login (docs/web.md), even on loopback: these are the
app's only writes. Every form carries the session's CSRF token. The pages work as plain
forms (each POST answers with a redirect back to the item); with htmx (``HX-Request``) the
same POST answers with the re-rendered body, swapped in place. Edits belong to the digest
item; the stored publication is never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from crawler.alerts.dispatch import dispatch_all
from crawler.app_config import AppConfig, load_app_config
from crawler.digest.build import pending, pull_in
from crawler.digest.order import OrderRefused, move, reorder
from crawler.digest.period import Period
from crawler.digest.publish import MAX_LEADS, DigestError, approve, publish, reopen
from crawler.digest.render import Section, render_html, render_markdown, sections
from crawler.outcomes import FAILED_OUTCOMES
from crawler.web import auth
from crawler.web.state import web_state
from storage import digests as store
from storage.db import transaction
from storage.models import Digest
from storage.publications_read import get_publication


def routes() -> list[Route]:
    return [
        Route("/digests", digests_page),
        Route("/digests/{digest_id:int}", digest_page),
        Route("/digests/{digest_id:int}/digest.html", digest_html),
        Route("/digests/{digest_id:int}/digest.md", digest_markdown),
        Route("/digests/{digest_id:int}/items/{item_id:int}", edit_item, methods=["POST"]),
        Route("/digests/{digest_id:int}/order", order_section, methods=["POST"]),
        Route("/digests/{digest_id:int}/bulk", bulk_edit, methods=["POST"]),
        Route("/digests/{digest_id:int}/pull", pull_item, methods=["POST"]),
        Route("/digests/{digest_id:int}/state", change_state, methods=["POST"]),
    ]


def app_config(request: Request) -> AppConfig:
    """The service configuration (read once per app; tests may set ``digest_config``)."""
    config: AppConfig | None = getattr(request.app.state, "digest_config", None)
    if config is None:
        config = load_app_config()
        request.app.state.digest_config = config
    return config


def _login_first(request: Request) -> Response | None:
    if auth.is_logged_in(request):
        return None
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _refused(request: Request) -> Response:
    state = web_state(request)
    return state.render(
        request, "login.html", status_code=403, next=request.url.path,
        error="The form expired or did not come from this site; please try again.",
    )  # fmt: skip


async def _checked_form(request: Request) -> FormData | Response:
    """A POST's form once the editor is logged in and its CSRF token matches; otherwise the
    answer to send instead (the login page, or 403)."""
    if (gate := _login_first(request)) is not None:
        return gate
    form = await request.form()
    if not auth.csrf_ok(request, form.get(auth.CSRF_FIELD)):
        return _refused(request)
    return form


def _unless_draft(request: Request, digest: Digest | None) -> Response | None:
    """The answer to an edit of a digest that is missing (404) or no longer a draft (the
    page again, saying why); None when the edit may go ahead."""
    if digest is None:
        return PlainTextResponse("No such digest.", status_code=404)
    if digest.state != "draft":
        return _back(request, problem=f"{digest.label} is {digest.state}: reopen it to edit")
    return None


def digests_page(request: Request) -> Response:
    if (gate := _login_first(request)) is not None:
        return gate
    state = web_state(request)
    with transaction(state.engine) as session:
        rows = [(d, len(store.items(session, d.id))) for d in store.list_digests(session)]
    return state.render(request, "digests.html", digests=rows)


def digest_page(request: Request, problem: str | None = None, status_code: int = 200) -> Response:
    if (gate := _login_first(request)) is not None:
        return gate
    state = web_state(request)
    digest_id = int(request.path_params["digest_id"])
    zone = app_config(request).digest.timezone
    with transaction(state.engine) as session:
        digest = store.get_digest(session, digest_id)
        if digest is None:
            return state.render(
                request, "not_found.html", status_code=404, what=f"digest {digest_id}"
            )
        context = _context(session, digest, zone)
    template = "_digest_body.html" if request.headers.get("HX-Request") == "true" else "digest.html"
    problem = problem or request.query_params.get("problem")
    return state.render(request, template, status_code=status_code, problem=problem, **context)


def _context(session: Any, digest: Digest, zone: str) -> dict[str, Any]:
    since, until = Period(digest.period_start, digest.period_end, zone).bounds()
    parts = sections(session, digest, included_only=False)
    return {
        "digest": digest,
        "sections": parts,
        "editable": digest.state == "draft",
        "pending": pending(session, digest, zone) if digest.state == "draft" else [],
        "troubles": store.source_troubles(session, since, until, sorted(FAILED_OUTCOMES)),
        "leads": sum(1 for part in parts for row in part.rows if row.lead),
        "max_leads": MAX_LEADS,
        "included": sum(1 for part in parts for row in part.rows if row.included),
        "total": sum(len(part.rows) for part in parts),
    }


def _back(request: Request, anchor: str = "", problem: str | None = None) -> Response:
    """After a POST: the re-rendered body for htmx, else a redirect back to the page."""
    if request.headers.get("HX-Request") == "true":
        return digest_page(request, problem=problem)
    digest_id = int(request.path_params["digest_id"])
    query = f"?problem={quote(problem)}" if problem else ""
    return RedirectResponse(f"/digests/{digest_id}{query}{anchor}", status_code=303)


async def edit_item(request: Request) -> Response:
    """Save one item's include, lead and key points; ``action`` up/down also moves it."""
    form = await _checked_form(request)
    if isinstance(form, Response):
        return form
    digest_id = int(request.path_params["digest_id"])
    item_id = int(request.path_params["item_id"])
    problem = None
    with transaction(web_state(request).engine) as session:
        digest = store.get_digest(session, digest_id)
        item = store.get_item(session, digest_id, item_id)
        if digest is None or item is None:
            return PlainTextResponse("No such digest item.", status_code=404)
        if digest.state != "draft":
            problem = f"{digest.label} is {digest.state}: reopen it to edit"
        else:
            item.included = form.get("included") is not None
            text = form.get("key_points")
            if isinstance(text, str) and text.strip() != item.key_points.strip():
                item.key_points, item.key_points_edited = text.strip(), True
            wants_lead = form.get("lead") is not None
            if wants_lead and not item.lead:
                leads = sum(1 for other, _ in store.items(session, digest_id) if other.lead)
                if leads >= MAX_LEADS:
                    problem = f"at most {MAX_LEADS} leads: unmark one first"
                else:
                    item.lead = True
            elif not wants_lead:
                item.lead = False
            action = form.get("action")
            if action in ("up", "down"):
                move(session, digest_id, item_id, -1 if action == "up" else 1)
    return _back(request, f"#item-{item_id}", problem)


async def order_section(request: Request) -> Response:
    """A country section's new order, sent by a drop on the review page (digest.js): the
    repeated ``item`` fields, top to bottom. Refused (400, nothing changed) when they name
    items of another digest or mix sections."""
    form = await _checked_form(request)
    if isinstance(form, Response):
        return form
    digest_id = int(request.path_params["digest_id"])
    raw = [value for value in form.getlist("item") if isinstance(value, str)]
    if not raw or not all(value.isdigit() for value in raw):
        return PlainTextResponse("The order names no items.", status_code=400)
    with transaction(web_state(request).engine) as session:
        digest = store.get_digest(session, digest_id)
        if (refusal := _unless_draft(request, digest)) is not None:
            return refusal
        try:
            reorder(session, digest_id, [int(value) for value in raw])
        except OrderRefused as exc:  # raised before anything is changed
            return PlainTextResponse(f"Order refused: {exc}.", status_code=400)
    return _back(request, f"#item-{raw[0]}")


async def bulk_edit(request: Request) -> Response:
    """Include or exclude every item (of one country, when ``country`` is given)."""
    form = await _checked_form(request)
    if isinstance(form, Response):
        return form
    digest_id = int(request.path_params["digest_id"])
    country = form.get("country")
    include = form.get("action") == "include"
    with transaction(web_state(request).engine) as session:
        digest = store.get_digest(session, digest_id)
        if (refusal := _unless_draft(request, digest)) is not None:
            return refusal
        for item, _ in store.items(session, digest_id):
            if not country or (item.country or "Other") == country:
                item.included = include
    return _back(request, f"#country-{country}" if country else "")


async def pull_item(request: Request) -> Response:
    """Pull a pending publication into this draft."""
    form = await _checked_form(request)
    if isinstance(form, Response):
        return form
    digest_id = int(request.path_params["digest_id"])
    raw = form.get("publication_id")
    with transaction(web_state(request).engine) as session:
        digest = store.get_digest(session, digest_id)
        publication = (
            get_publication(session, int(raw)) if isinstance(raw, str) and raw.isdigit() else None
        )
        if digest is None or publication is None:
            return PlainTextResponse("No such digest or publication.", status_code=404)
        if not pull_in(session, digest, publication):
            return _back(request, problem="that publication cannot be added to this digest")
    return _back(request)


async def change_state(request: Request) -> Response:
    """approve (with a name) / reopen / publish."""
    form = await _checked_form(request)
    if isinstance(form, Response):
        return form
    digest_id = int(request.path_params["digest_id"])
    action = form.get("action")
    state = web_state(request)
    try:
        if action == "publish":
            config = app_config(request)
            publish(state.engine, config, digest_id)
            dispatch_all(state.engine, config)
        else:
            with transaction(state.engine) as session:
                digest = store.get_digest(session, digest_id)
                if digest is None:
                    return PlainTextResponse("No such digest.", status_code=404)
                if action == "approve":
                    who = form.get("approved_by")
                    approve(session, digest, who if isinstance(who, str) else "")
                elif action == "reopen":
                    reopen(session, digest)
    except DigestError as exc:
        return _back(request, problem=str(exc))
    return _back(request)


def _output(
    render: Callable[[Digest, list[Section]], str], media: str, suffix: str
) -> Callable[[Request], Response]:
    """One handler per output format: same login, lookup and download name for each."""

    def handler(request: Request) -> Response:
        if (gate := _login_first(request)) is not None:
            return gate
        state = web_state(request)
        digest_id = int(request.path_params["digest_id"])
        with transaction(state.engine) as session:
            digest = store.get_digest(session, digest_id)
            if digest is None:
                return state.render(
                    request, "not_found.html", status_code=404, what=f"digest {digest_id}"
                )
            body = render(digest, sections(session, digest))
        response = Response(body, media_type=media)
        if request.query_params.get("download"):
            name = "digest-" + digest.label.replace("..", "_to_") + suffix
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    return handler


# The bulletin page (as published; a draft shows what publishing would write) and its
# Markdown twin.
digest_html = _output(render_html, "text/html; charset=utf-8", ".html")
digest_markdown = _output(render_markdown, "text/markdown; charset=utf-8", ".md")
