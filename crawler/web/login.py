"""``/login`` and ``/logout``: the only forms so far, and the CSRF machinery every form uses."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crawler.web import auth
from crawler.web.state import web_state


def login_form(request: Request) -> Response:
    state = web_state(request)
    return state.render(request, "login.html", next=_safe_next(request.query_params.get("next")))


async def login_submit(request: Request) -> Response:
    state = web_state(request)
    form = await request.form()
    next_path = _safe_next(form.get("next"))
    if not auth.csrf_ok(request, form.get(auth.CSRF_FIELD)):
        return state.render(
            request, "login.html", status_code=403, next=next_path,
            error="The form expired or did not come from this site; please try again.",
        )  # fmt: skip
    password = form.get("password")
    if state.settings.password_hash is None:
        error = "No password is configured (GOVWATCH_WEB_PASSWORD_HASH); login is disabled."
        return state.render(request, "login.html", status_code=403, next=next_path, error=error)
    if not isinstance(password, str) or not auth.verify_password(
        password, state.settings.password_hash
    ):
        return state.render(
            request, "login.html", status_code=401, next=next_path, error="Wrong password."
        )
    request.session.clear()
    request.session["user"] = "analyst"
    auth.csrf_token(request)  # a fresh token for the new session
    return RedirectResponse(next_path, status_code=303)


async def logout_submit(request: Request) -> Response:
    state = web_state(request)
    form = await request.form()
    if not auth.csrf_ok(request, form.get(auth.CSRF_FIELD)):
        return state.render(
            request, "login.html", status_code=403, next="/",
            error="The form expired or did not come from this site; please try again.",
        )  # fmt: skip
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _safe_next(value: object) -> str:
    """Only a local path: never redirect a login to another site."""
    if isinstance(value, str) and value.startswith("/") and value[1:2] not in ("/", "\\"):
        return value
    return "/"
