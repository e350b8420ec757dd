"""The Apprise sink against real local services: an SMTP server and a webhook receiver.

Apprise channels are routed like Slack channels (``apprise:NAME`` in routing.yaml) and go
through the same outbox dispatcher: a refused post stays pending and goes out on the next
pass, in order; a post the service kept before answering 500 is sent again (Apprise cannot
look back), which docs/alerts.md states.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from sqlalchemy import Engine, update

from crawler.alerts.dispatch import dispatch_all
from crawler.alerts.outbox import DispatchReport
from crawler.alerts.routing import RoutedFields, decide
from crawler.alerts.routing_config import read_routing
from crawler.alerts.sinks.console import ConsoleSink
from crawler.alerts.topics import TopicMatcher
from crawler.app_config import AppConfig
from crawler.errors import ConfigError
from storage.db import transaction
from storage.models import AlertOutbox
from tests.alerts.conftest import ROOT, item, outbox, store
from tests.servers.smtp import LocalSMTP
from tests.servers.webhook import WebhookReceiver

HOSTILE_TITLE = '<b>Budget</b> & <script>alert("x")</script> for AI'


@pytest.fixture
def smtp() -> Iterator[LocalSMTP]:
    with LocalSMTP() as server:
        yield server


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


def apprise_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, channels: dict[str, str]
) -> AppConfig:
    """No Slack token; a routing file sending everything to the given Apprise channels."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("GOVWATCH_ROUTING", raising=False)
    routing = {
        "routes": [{"name": "everything", "channels": [f"apprise:{name}" for name in channels]}],
        "apprise": channels,
    }
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(routing), encoding="utf-8")
    return AppConfig.model_validate({"slack": {"routing_file": str(path)}})


def deliver(engine: Engine, config: AppConfig) -> DispatchReport:
    quiet = ConsoleSink(Console(file=io.StringIO(), width=200))
    return dispatch_all(engine, config, console=quiet)


def backoff_elapsed(engine: Engine) -> None:
    with transaction(engine) as session:
        session.execute(update(AlertOutbox).values(next_attempt_at=None))


def test_an_email_carries_the_publication_view_with_page_text_escaped(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: LocalSMTP
) -> None:
    url = f"mailto://127.0.0.1:{smtp.port}?from=govwatch@example.org&to=analyst@example.org"
    config = apprise_config(tmp_path, monkeypatch, {"analysts": url})
    store(engine, config, item(1, title=HOSTILE_TITLE, publisher="Ministry <i>of</i> Science"))

    assert [row.destination for row in outbox(engine)] == ["apprise:analysts"]
    assert deliver(engine, config).sent == 1

    [mail] = smtp.messages
    assert mail["To"] == "analyst@example.org"
    assert HOSTILE_TITLE in str(mail["Subject"])  # a subject is plain text: shown as written
    body = mail.get_body(("html",))
    assert body is not None
    page = body.get_content()
    assert "&lt;b&gt;Budget&lt;/b&gt; &amp; &lt;script&gt;" in page
    assert "<script>" not in page
    assert "<b>Budget" not in page
    assert "Ministry &lt;i&gt;of&lt;/i&gt; Science" in page
    assert '<a href="https://www.nsf.gov/news/item-1">' in page
    assert ("Publisher" in page, "Language" in page, "English" in page) == (True, True, True)
    assert {row.status for row in outbox(engine)} == {"sent"}


def test_a_webhook_receives_json_and_a_refused_post_goes_out_next_pass_in_order(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: WebhookReceiver
) -> None:
    config = apprise_config(tmp_path, monkeypatch, {"hook": hook.json_url("/hook")})
    store(engine, config, item(1), item(2))
    hook.refuse_next(1)

    report = deliver(engine, config)
    assert (report.sent, report.retrying) == (0, 1)
    first, second = outbox(engine)
    assert (first.status, second.status) == ("pending", "pending")
    assert "500" in str(first.last_error)
    assert second.attempts == 0  # held behind the first: the channel keeps its order
    assert hook.kept() == []

    backoff_elapsed(engine)
    assert deliver(engine, config).sent == 2
    kept = hook.kept("/hook")
    assert [body["title"] for body in kept] == ["New: NSF news item 1", "New: NSF news item 2"]
    assert "https://www.nsf.gov/news/item-1" in kept[0]["message"]
    assert {row.status for row in outbox(engine)} == {"sent"}

    deliver(engine, config)  # nothing is left to send
    assert len(hook.kept()) == 2


def test_a_post_kept_then_answered_500_is_sent_again_apprise_has_no_exactly_once_check(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: WebhookReceiver
) -> None:
    config = apprise_config(tmp_path, monkeypatch, {"hook": hook.json_url("/hook")})
    store(engine, config, item(1))
    hook.fail_after_storing_next(1)

    assert deliver(engine, config).retrying == 1
    backoff_elapsed(engine)
    assert deliver(engine, config).sent == 1
    titles = [body["title"] for body in hook.kept()]
    assert titles == ["New: NSF news item 1", "New: NSF news item 1"]  # the documented duplicate


def test_secrets_in_apprise_urls_come_from_the_environment_and_never_reach_logs(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hook: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("HOOK_PASSWORD", "s3cret-Pa55")
    url = hook.json_url("/hook").replace("json://", "json://bot:${HOOK_PASSWORD}@")
    config = apprise_config(tmp_path, monkeypatch, {"hook": url})
    store(engine, config, item(1))
    hook.refuse_next(1)
    with caplog.at_level(logging.DEBUG):
        deliver(engine, config)
    [row] = outbox(engine)
    assert "apprise:hook" in str(row.last_error)
    assert "s3cret" not in row.last_error
    assert "s3cret" not in caplog.text
    assert "${HOOK_PASSWORD}" not in (row.last_error or "")


def test_an_unset_variable_fails_the_channel_with_a_reason_and_ops_are_told(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: WebhookReceiver
) -> None:
    monkeypatch.delenv("NO_SUCH_HOOK_TOKEN", raising=False)
    url = hook.json_url("/hook") + "?token=${NO_SUCH_HOOK_TOKEN}"
    config = apprise_config(tmp_path, monkeypatch, {"hook": url})
    store(engine, config, item(1))
    screen = io.StringIO()
    report = dispatch_all(engine, config, console=ConsoleSink(Console(file=screen, width=300)))
    assert report.failed == 1
    row, notice = outbox(engine)
    assert row.status == "failed"
    assert row.last_error == "${NO_SUCH_HOOK_TOKEN} is not set in the environment"
    assert (notice.destination, notice.status) == ("console", "sent")
    assert "NO_SUCH_HOOK_TOKEN" in screen.getvalue()
    assert hook.received == []


def test_a_route_to_an_unknown_apprise_channel_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(
        "routes:\n  - name: mail\n    channels: [apprise:analysts]\napprise:\n  team: json://x\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        read_routing(path)
    assert f"{path}:3" in str(error.value)
    assert 'no Apprise channel "analysts"' in str(error.value)


def test_the_apprise_example_loads_and_routes(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "alerts.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```yml\n(.*?)```", doc, flags=re.DOTALL)
    path = tmp_path / "routing.yaml"
    path.write_text(example, encoding="utf-8")
    routing = read_routing(path)
    assert set(routing.apprise) == {"export-desk", "team-chat", "archive"}
    topics = TopicMatcher.from_routing(routing).topics_of("New entity list additions", None)
    fields = RoutedFields("us_bis", "US", "BIS", "news", "en", tuple(topics))
    assert decide(routing, fields, None).channels == [
        "apprise:export-desk",
        "apprise:team-chat",
        "apprise:archive",
    ]


def test_a_routing_file_broken_later_holds_apprise_rows_and_the_console_still_delivers(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hook: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = apprise_config(tmp_path, monkeypatch, {"hook": hook.json_url("/hook")})
    store(engine, config, item(1))
    with transaction(engine) as session:
        session.add(AlertOutbox(kind="ops", destination="console", payload={"text": "notice"}))
    (tmp_path / "routing.yaml").write_text("routes: [unclosed\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        report = deliver(engine, config)
    assert report.sent == 1  # the console notice
    waiting, notice = outbox(engine)
    assert (waiting.destination, waiting.status, waiting.attempts) == ("apprise:hook", "pending", 0)
    assert notice.status == "sent"
    [line] = [r.getMessage() for r in caplog.records if "Alerts to apprise wait" in r.getMessage()]
    assert "\n" not in line
    assert hook.received == []
