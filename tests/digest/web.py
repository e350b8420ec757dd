"""The digest app as editors use it: a login, a seeded database, the fake Slack Web API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from crawler.app_config import AppConfig
from crawler.digest.build import build_digest
from crawler.digest.period import week
from crawler.web.app import create_app
from crawler.web.auth import hash_password
from crawler.web.settings import WebSettings
from tests.digest.conftest import Stored, at, store_fixtures
from tests.servers.slack import FakeSlack
from tests.web.conftest import serve, sources_config
from tests.web.http import Browser

PASSWORD = "editors only"  # noqa: S105 (a test password)
PASSWORD_HASH = hash_password(PASSWORD)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DIGEST_CHANNEL = "C0POLICY01"  # "#policy-alerts" in the fake Slack


@dataclass
class DigestSite:
    base: str
    engine: Engine
    stored: Stored
    digest_id: int
    slack: FakeSlack
    output_dir: Path


def app_config(slack: FakeSlack, output_dir: Path) -> AppConfig:
    return AppConfig.model_validate(
        {
            "slack": {"base_url": slack.api_url, "per_channel_interval": 0, "http_retries": 0},
            "digest": {"channel": "#policy-alerts", "editors_channel": "#ai-policy",
                       "output_dir": str(output_dir)},
            "web": {"base_url": "http://digest.example"},
        }
    )  # fmt: skip


@contextmanager
def digest_site(engine: Engine, output_dir: Path) -> Iterator[DigestSite]:
    """W48 built from the two-week fixtures, served by a real uvicorn with a login."""
    stored = store_fixtures(engine)
    result = build_digest(engine, week("2026-W48"), now=at(30, 10))
    assert result.digest_id is not None
    with FakeSlack() as slack:
        app = create_app(engine, sources_config, WebSettings(password_hash=PASSWORD_HASH))
        app.state.digest_config = app_config(slack, output_dir)
        with serve(app) as base:
            yield DigestSite(base, engine, stored, result.digest_id, slack, output_dir)


def logged_in(base: str) -> Browser:
    browser = Browser(base)
    token = CSRF.search(browser.get("/login").body)
    assert token is not None
    answer = browser.post(
        "/login", {"csrf_token": token.group(1), "password": PASSWORD, "next": "/"}
    )
    assert answer.status == 303
    return browser


def csrf(browser: Browser, path: str) -> str:
    found = CSRF.search(browser.get(path).body)
    assert found is not None
    return found.group(1)
