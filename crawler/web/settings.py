"""How the web app is bound and protected: host, port, password hash, session secret."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from crawler.errors import ConfigError
from crawler.web.auth import hash_problem

PASSWORD_HASH_ENV = "GOVWATCH_WEB_PASSWORD_HASH"  # noqa: S105 (a variable name)
PASSWORD_HASH_FILE_ENV = "GOVWATCH_WEB_PASSWORD_HASH_FILE"  # noqa: S105
SECRET_KEY_ENV = "GOVWATCH_WEB_SECRET_KEY"  # noqa: S105


@dataclass(frozen=True)
class WebSettings:
    """``read_needs_login`` is true whenever the app listens beyond the loopback interface."""

    host: str = "127.0.0.1"
    port: int = 8080
    password_hash: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    base_url: str | None = None

    @property
    def read_needs_login(self) -> bool:
        return not is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses, the only binds that skip the login."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_password_hash(path: Path | None = None) -> str | None:
    """The configured hash: from ``path``, else ``$GOVWATCH_WEB_PASSWORD_HASH``, else the
    file named by ``$GOVWATCH_WEB_PASSWORD_HASH_FILE``; None when none is configured."""
    if path is None and os.environ.get(PASSWORD_HASH_ENV):
        return os.environ[PASSWORD_HASH_ENV].strip()
    if path is None and os.environ.get(PASSWORD_HASH_FILE_ENV):
        path = Path(os.environ[PASSWORD_HASH_FILE_ENV])
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise ConfigError(f"cannot read the web password hash file {path}: {exc.strerror}") from exc


def web_settings(host: str, port: int, password_hash_file: Path | None = None) -> WebSettings:
    """Settings for ``govwatch web``; refuses a non-loopback bind without a password."""
    password_hash = load_password_hash(password_hash_file)
    if not is_loopback(host) and not password_hash:
        raise ConfigError(
            f"govwatch web on {host} must have a login: set {PASSWORD_HASH_ENV} (make one with "
            "`govwatch web --hash-password`) or bind 127.0.0.1"
        )
    if password_hash and (problem := hash_problem(password_hash)) is not None:
        raise ConfigError(
            f"the web password hash is unusable: {problem} (make one with "
            "`govwatch web --hash-password`)"
        )
    secret = os.environ.get(SECRET_KEY_ENV) or secrets.token_urlsafe(32)
    return WebSettings(host=host, port=port, password_hash=password_hash, secret_key=secret)
