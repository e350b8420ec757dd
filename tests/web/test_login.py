"""Login, sessions and CSRF on the login/logout forms, with the app served for real."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from crawler.errors import ConfigError
from crawler.web.app import create_app
from crawler.web.auth import hash_password, verify_password
from crawler.web.settings import PASSWORD_HASH_ENV, WebSettings, web_settings
from tests.web.conftest import Seeded, serve, sources_config
from tests.web.http import Browser

PASSWORD = "correct horse battery staple"  # noqa: S105 (a test password)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def public_site(seeded: Seeded, password_hash: str) -> Iterator[str]:
    """The app as configured for a non-loopback bind (so reading needs a login), served on
    127.0.0.1 for the test."""
    settings = WebSettings(host="0.0.0.0", password_hash=password_hash)
    with serve(create_app(seeded.engine, sources_config, settings)) as base:
        yield base


def csrf_of(browser: Browser, path: str = "/login") -> str:
    found = TOKEN.search(browser.get(path).body)
    assert found, "the form has no CSRF token"
    return found.group(1)


def test_beyond_loopback_reading_needs_a_login(public_site: str) -> None:
    browser = Browser(public_site)
    for path in ("/", "/sources", "/feed.atom", "/export.csv", "/publications/1"):
        answer = browser.get(path)
        assert answer.status == 303
        assert answer.headers["Location"].startswith("/login")
    assert browser.get("/login").status == 200
    assert browser.get("/metrics").status == 200  # counts only, for Prometheus


def test_login_then_read_then_logout(public_site: str) -> None:
    browser = Browser(public_site)
    token = csrf_of(browser)
    answer = browser.post("/login", {"csrf_token": token, "password": PASSWORD, "next": "/sources"})
    assert answer.status == 303
    assert answer.headers["Location"] == "/sources"
    assert browser.get("/").status == 200
    logout_token = csrf_of(browser, "/")
    assert browser.post("/logout", {"csrf_token": logout_token}).status == 303
    assert browser.get("/").status == 303


def test_session_cookie_is_httponly_and_samesite(public_site: str) -> None:
    answer = Browser(public_site).get("/login")
    cookie = answer.headers["Set-Cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    assert "max-age=43200" in cookie.lower()  # 12 hours


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_its_csrf_token_is_refused(public_site: str, token: str | None) -> None:
    browser = Browser(public_site)
    csrf_of(browser)  # the session exists and has a token; the post does not carry it
    form = {"password": PASSWORD} | ({"csrf_token": token} if token is not None else {})
    answer = browser.post("/login", form)
    assert answer.status == 403
    assert browser.get("/").status == 303  # still not logged in


def test_a_token_from_another_session_is_refused(public_site: str) -> None:
    attacker, victim = Browser(public_site), Browser(public_site)
    stolen = csrf_of(attacker)
    csrf_of(victim)
    assert victim.post("/login", {"csrf_token": stolen, "password": PASSWORD}).status == 403


def test_logout_without_csrf_token_is_refused(public_site: str) -> None:
    browser = Browser(public_site)
    browser.post("/login", {"csrf_token": csrf_of(browser), "password": PASSWORD})
    assert browser.get("/").status == 200
    assert browser.post("/logout", {}).status == 403
    assert browser.get("/").status == 200  # the forged logout did nothing


def test_wrong_password_is_refused(public_site: str) -> None:
    browser = Browser(public_site)
    answer = browser.post("/login", {"csrf_token": csrf_of(browser), "password": "guess"})
    assert answer.status == 401
    assert browser.get("/").status == 303


def test_login_never_redirects_to_another_site(public_site: str) -> None:
    browser = Browser(public_site)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        answer = browser.post(
            "/login", {"csrf_token": csrf_of(browser), "password": PASSWORD, "next": target}
        )
        assert answer.headers["Location"] == "/"


def test_hash_verifies_only_its_password() -> None:
    stored = hash_password("s3cret")
    assert stored.startswith("scrypt$")
    assert "s3cret" not in stored
    assert verify_password("s3cret", stored)
    assert not verify_password("s3cret ", stored)
    assert not verify_password("s3cret", "scrypt$broken")
    assert not verify_password("s3cret", None)


def test_non_loopback_bind_without_a_password_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PASSWORD_HASH_ENV, raising=False)
    with pytest.raises(ConfigError, match="must have a login"):
        web_settings("0.0.0.0", 8080)
    monkeypatch.setenv(PASSWORD_HASH_ENV, hash_password("x"))
    assert web_settings("0.0.0.0", 8080).read_needs_login
    assert not web_settings("127.0.0.1", 8080).read_needs_login


@pytest.mark.parametrize(
    "stored",
    [
        "$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",  # bcrypt (htpasswd)
        "scrypt$16384$8$one$c2FsdA$ZGlnZXN0",
        "scrypt$16384$8$1$a$ZGlnZXN0",
    ],
)
def test_a_malformed_password_hash_is_one_clear_config_error(
    monkeypatch: pytest.MonkeyPatch, stored: str
) -> None:
    monkeypatch.setenv(PASSWORD_HASH_ENV, stored)
    with pytest.raises(ConfigError, match="password hash is unusable: it"):
        web_settings("0.0.0.0", 8080)
    with pytest.raises(ConfigError, match="--hash-password"):
        web_settings("127.0.0.1", 8080)
    assert not verify_password("anything", stored)
