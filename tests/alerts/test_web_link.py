"""Every alert carries the publication's id and, when ``web.base_url`` is set, a link to its
page in govwatch web (``/publications/ID``), through the one dispatcher and in every sink."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from sqlalchemy import Engine, select

from crawler.alerts.dispatch import dispatch_all
from crawler.alerts.sinks.console import ConsoleSink
from crawler.app_config import AppConfig, WebSection
from storage.db import transaction
from storage.models import Publication
from tests.alerts.conftest import item, store


def delivered_text(engine: Engine, config: AppConfig) -> str:
    screen = io.StringIO()
    assert dispatch_all(engine, config, console=ConsoleSink(Console(file=screen, width=300))).sent
    return screen.getvalue()


def test_an_alert_links_its_page_when_the_web_app_has_an_address(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    config = AppConfig(web=WebSection(base_url="https://govwatch.example.org/"))
    store(engine, config, item(1))
    with transaction(engine) as session:
        publication_id = session.scalars(select(Publication.id)).one()
    shown = delivered_text(engine, config)
    assert f"https://govwatch.example.org/publications/{publication_id}" in shown
    assert re.search(rf"\bID\s+{publication_id}\b", shown), shown


def test_without_an_address_there_is_no_link_but_the_id_stays(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    config = AppConfig()
    store(engine, config, item(1))
    shown = delivered_text(engine, config)
    assert "/publications/" not in shown
    assert "ID" in shown
