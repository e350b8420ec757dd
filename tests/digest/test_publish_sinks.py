"""A published digest goes to every configured sink, once: Slack by sections, Apprise (a
local webhook receiver, over real HTTP) as the whole digest in one HTML message."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine, select

from crawler.alerts.dispatch import dispatch_all
from crawler.alerts.sinks.console import ConsoleSink
from crawler.app_config import AppConfig
from crawler.digest.build import build_digest
from crawler.digest.period import week
from crawler.digest.publish import approve, publish
from storage import digests as store
from storage.db import transaction
from storage.models import AlertOutbox
from tests.digest.conftest import XSS_TITLE, at, store_fixtures
from tests.servers.webhook import WebhookReceiver


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


def editors_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook_url: str) -> AppConfig:
    """No Slack token; the digest goes to the console (``channel``) and to an Apprise
    channel named in the routing file."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    routing = tmp_path / "routing.yaml"
    routing.write_text(
        yaml.safe_dump({"routes": [], "apprise": {"editors": hook_url}}), encoding="utf-8"
    )
    return AppConfig.model_validate(
        {
            "slack": {"routing_file": str(routing)},
            "digest": {
                "channel": "#digest",
                "publish_to": ["apprise:editors"],
                "output_dir": str(tmp_path / "out"),
            },
        }
    )


def digest_rows(engine: Engine) -> list[AlertOutbox]:
    with transaction(engine) as session:
        query = select(AlertOutbox).where(AlertOutbox.kind == "digest").order_by(AlertOutbox.id)
        return list(session.scalars(query))


def test_a_published_digest_reaches_an_apprise_channel_once_as_html(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: WebhookReceiver
) -> None:
    store_fixtures(engine)
    config = editors_config(tmp_path, monkeypatch, hook.json_url("/editors"))
    digest_id = build_digest(engine, week("2026-W48"), now=at(30, 10)).digest_id
    assert digest_id is not None
    with transaction(engine) as session:
        digest = store.get_digest(session, digest_id)
        assert digest is not None
        approve(session, digest, "Editor")
    first = publish(engine, config, digest_id)
    rows = digest_rows(engine)
    sections = [row for row in rows if row.destination == "console"]
    whole = [row for row in rows if row.destination == "apprise:editors"]
    assert len(sections) >= 2, [(r.destination, r.payload.get("text", "")[:60]) for r in rows]
    assert len(whole) == 1
    assert first.messages == len(rows)

    console = ConsoleSink(Console(file=io.StringIO(), width=200))
    report = dispatch_all(engine, config, console=console)
    assert report.failed == 0
    kept = hook.kept("/editors")
    assert len(kept) == 1
    assert kept[0]["title"] == "Weekly digest 2026-W48"
    body = kept[0]["message"]
    assert "<table" in body
    assert "FTC" in body
    assert XSS_TITLE not in body
    assert "&lt;script&gt;" in body

    # publishing again queues nothing and posts nothing
    again = publish(engine, config, digest_id)
    assert (again.newly, again.messages) == (False, 0)
    assert len(digest_rows(engine)) == len(rows)
    dispatch_all(engine, config, console=console)
    assert len(hook.kept("/editors")) == 1


def test_a_digest_destination_that_is_no_sink_is_refused_with_its_name() -> None:
    with pytest.raises(ValidationError, match="'mailto:someone' is not a destination"):
        AppConfig.model_validate({"digest": {"publish_to": ["mailto:someone"]}})
    with pytest.raises(ValidationError, match="'apprise' is not a destination"):
        AppConfig.model_validate({"digest": {"publish_to": ["apprise"]}})
