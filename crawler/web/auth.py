"""Login and CSRF: a hashed shared secret, a signed session cookie, a token on every form.

The password is stored only as an scrypt hash (``scrypt$n$r$p$salt$digest``, base64 parts).
The session lives in a signed, HttpOnly, SameSite=Strict cookie; every form carries the
session's CSRF token and a POST without the right one is refused with 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

# Annotations only: the daemon checks the web password hash (crawler.web.settings) without
# loading Starlette unless it serves the app.
if TYPE_CHECKING:
    from starlette.requests import Request

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
CSRF_FIELD = "csrf_token"


def hash_password(password: str) -> str:
    """A storable hash of ``password`` (what ``govwatch web --hash-password`` prints)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    parts = (str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest))
    return "scrypt$" + "$".join(parts)


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed hash."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p)
        )
        expected = _unb64(digest)
    except ValueError:
        return False
    return hmac.compare_digest(computed, expected)


def hash_problem(stored: str) -> str | None:
    """Why ``stored`` is not a hash :func:`hash_password` makes, in words, or None: caught
    at start-up, so a mistyped hash is one clear line instead of a login that always fails."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return "it is not of the form scrypt$n$r$p$salt$digest"
    if not all(part.isdigit() for part in parts[1:4]):
        return "its n, r and p are not whole numbers"
    try:
        _unb64(parts[4])
        _unb64(parts[5])
    except ValueError:
        return "its salt or digest is not base64"
    return None


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    expected = request.session.get(CSRF_FIELD)
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


def is_logged_in(request: Request) -> bool:
    return request.session.get("user") == "analyst"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
