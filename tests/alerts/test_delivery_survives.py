"""An unexpected exception in delivery is logged in one line, counted and survived.

The sinks here really raise: a console whose stream was closed (rich raises ValueError on
write), and an ops row whose payload is not a mapping (written by hand or by an older
version), which makes the Slack message builder raise AttributeError. Nothing is lost:
the rows stay pending with the error as ``last_error``, and the other rows and sinks go on.
"""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console
from sqlalchemy import Engine, update

from crawler.alerts.dispatch import dispatch_all
from crawler.alerts.sinks.console import ConsoleSink
from crawler.app_config import AppConfig
from storage.db import transaction
from storage.models import AlertOutbox
from tests.alerts.conftest import item, outbox, store
from tests.servers.slack import FakeSlack

POLICY, OPS = "C0POLICY01", "C0GWOPS004"


def closed_console() -> ConsoleSink:
    stream = io.StringIO()
    stream.close()
    return ConsoleSink(Console(file=stream, width=120))


def backoff_elapsed(engine: Engine) -> None:
    """Let time pass: every pending row is due again (no test waits out a real backoff)."""
    with transaction(engine) as session:
        session.execute(update(AlertOutbox).values(next_attempt_at=None))


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and "unexpected" in r.message]


def test_a_console_that_raises_keeps_its_alerts_pending_and_the_pass_goes_on(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    config = AppConfig()
    store(engine, config, item(1), item(2))
    with caplog.at_level(logging.WARNING):
        report = dispatch_all(engine, config, console=closed_console())
    assert (report.sent, report.retrying, report.errors) == (0, 2, 2)
    rows = outbox(engine)
    assert [row.status for row in rows] == ["pending", "pending"]
    for row in rows:
        assert row.last_error == "unexpected ValueError: I/O operation on closed file"
    records = error_records(caplog)
    assert len(records) == 2  # one line per row, no traceback
    assert all("\n" not in r.getMessage() and r.exc_info is None for r in records)

    backoff_elapsed(engine)
    screen = io.StringIO()
    working = ConsoleSink(Console(file=screen, width=200))
    assert dispatch_all(engine, config, console=working).sent == 2
    assert screen.getvalue().count("New: NSF news item") == 2
    assert {row.status for row in outbox(engine)} == {"sent"}


def test_a_console_burst_that_raises_does_not_stop_delivery_or_lose_rows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    config = AppConfig()
    store(engine, config, *(item(n) for n in range(1, 13)))  # a burst: one summary
    with caplog.at_level(logging.WARNING):
        report = dispatch_all(engine, config, console=closed_console())
    assert (report.sent, report.errors) == (0, 1)
    assert {row.status for row in outbox(engine)} == {"pending"}
    [record] = error_records(caplog)
    assert "\n" not in record.getMessage()

    backoff_elapsed(engine)
    screen = io.StringIO()
    assert dispatch_all(engine, config, console=ConsoleSink(Console(file=screen))).sent == 12
    # bursts name their source as configured (the publication view), like Slack does
    assert "12 new from U.S. National Science Foundation" in screen.getvalue()


def test_a_slack_row_that_makes_the_sink_raise_waits_and_other_channels_go_on(
    engine: Engine, config: AppConfig, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with transaction(engine) as session:
        session.add(
            AlertOutbox(kind="ops", destination="slack:#govwatch-ops", payload=["not", "a", "map"])
        )
    store(engine, config, item(1))  # to #policy-alerts
    with transaction(engine) as session:
        session.add(
            AlertOutbox(kind="ops", destination="slack:#govwatch-ops", payload={"text": "later"})
        )
    with caplog.at_level(logging.WARNING):
        report = dispatch_all(engine, config)

    assert (report.sent, report.errors) == (1, 1)
    broken, publication, later = outbox(engine)
    assert (publication.status, len(slack.posted(POLICY))) == ("sent", 1)
    assert broken.status == "pending"
    assert broken.last_error is not None
    assert broken.last_error.startswith("unexpected AttributeError: ")
    assert later.status == "pending"  # the channel keeps its order behind the broken row
    assert slack.posted(OPS) == []
    [record] = error_records(caplog)
    assert "\n" not in record.getMessage()
    assert record.exc_info is None

    with transaction(engine) as session:  # someone repairs the row; nothing was lost
        session.get_one(AlertOutbox, broken.id).payload = {"text": "repaired"}
    backoff_elapsed(engine)
    dispatch_all(engine, config)
    repaired, later_message = slack.posted(OPS)
    assert ("repaired" in repaired.text, "later" in later_message.text) == (True, True)
    assert {row.status for row in outbox(engine)} == {"sent"}
