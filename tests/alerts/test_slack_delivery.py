"""Delivery through the real slack_sdk WebClient to a local Slack imitation.

Covers the promises of the outbox: posted with Block Kit and metadata, retried through
429 / 5xx / dropped connections, nothing lost through an outage (ops told once, order
kept), permanent errors failing only their rows, bursts summarised, channels paced.
"""

from __future__ import annotations

import io
import itertools
import logging
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine

from crawler.alerts import outbox as outbox_module
from crawler.alerts.dispatch import dispatch_all
from crawler.alerts.outbox import DispatchReport, Pacer
from crawler.alerts.sinks.console import ConsoleSink
from crawler.app_config import AppConfig
from tests.alerts.conftest import item, outbox, slack_config, store
from tests.servers.slack import TOKEN, FakeSlack

AI_POLICY, JP_POLICY, POLICY, OPS = "C0AIPOL002", "C0JPPOL003", "C0POLICY01", "C0GWOPS004"


class Screen:
    """The console sink, printing into a string the test can read."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.sink = ConsoleSink(Console(file=self.buffer, width=200, force_terminal=False))

    @property
    def text(self) -> str:
        return self.buffer.getvalue()


def deliver(engine: Engine, config: AppConfig, screen: Screen | None = None) -> DispatchReport:
    return dispatch_all(engine, config, console=(screen or Screen()).sink)


def outbox_ids(slack: FakeSlack, channel: str) -> list[int]:
    return [m.metadata["event_payload"]["outbox_id"] for m in slack.posted(channel) if m.metadata]


def test_a_new_publication_is_posted_once_with_blocks_and_metadata(
    engine: Engine, config: AppConfig, slack: FakeSlack
) -> None:
    [publication_id] = store(engine, config, item(1, title="<!channel> AI & you", topics=["AI"]))
    report = deliver(engine, config)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [message] = slack.posted(AI_POLICY)
    [row] = outbox(engine)
    assert message.metadata == {
        "event_type": "govwatch_publication",
        "event_payload": {"outbox_id": row.id, "publication_id": publication_id},
    }
    assert message.blocks[0]["text"]["text"] == (
        "*<https://www.nsf.gov/news/item-1|&lt;!channel&gt; AI &amp; you>*"
    )
    assert message.text.startswith("New: &lt;!channel&gt; AI &amp; you — ")
    assert (row.status, row.attempts, row.message_ref) == ("sent", 1, f"{AI_POLICY}:{message.ts}")
    [call] = slack.calls("chat.postMessage")
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (call.args["unfurl_links"], call.args["unfurl_media"]) == (False, False)

    assert deliver(engine, config).sent == 0
    assert len(slack.posted()) == 1


def test_429_waits_for_retry_after_then_posts(
    engine: Engine, config: AppConfig, slack: FakeSlack
) -> None:
    store(engine, config, item(1))
    slack.fail_next("chat.postMessage", "ratelimited")
    assert deliver(engine, config).sent == 1
    first, second = slack.calls("chat.postMessage")
    assert second.at - first.at >= 1.0  # the server said Retry-After: 1
    assert len(slack.posted(POLICY)) == 1


def test_server_errors_and_dropped_connections_are_retried(
    engine: Engine, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    config = slack_config(slack, http_retries=3)
    store(engine, config, item(1))
    slack.fail_next("chat.postMessage", "server_error")
    slack.fail_next("chat.postMessage", "drop")
    assert deliver(engine, config).sent == 1
    assert len(slack.calls("chat.postMessage")) == 3
    assert len(slack.posted(POLICY)) == 1


def test_an_hour_of_outage_loses_nothing_tells_ops_once_and_keeps_order(
    engine: Engine, config: AppConfig, slack: FakeSlack
) -> None:
    store(engine, config, item(1), item(2, topics=["AI"]), item(3))
    slack.down = True
    screen = Screen()
    for n in range(4, 8):  # the dispatcher keeps trying while new items keep arriving
        store(engine, config, item(n, topics=["AI"] if n % 2 else []))
        report = deliver(engine, config, screen)
        assert report.retrying >= 1
    assert slack.posted() == []
    rows = outbox(engine)
    publications = [row for row in rows if row.kind == "publication"]
    assert {row.status for row in publications} == {"pending"}
    assert any("service_unavailable" in (row.last_error or "") for row in publications)
    down = [row for row in rows if row.kind == "ops"]
    assert [(row.destination, row.payload["state"]) for row in down] == [("console", "slack_down")]
    assert screen.text.count("Slack is not answering") == 1

    slack.down = False
    deliver(engine, config, screen)
    deliver(engine, config, screen)  # the "Slack answers again" notice goes out next
    by_channel = {POLICY: [], AI_POLICY: []}  # type: dict[str, list[int]]
    for row in publications:
        by_channel[POLICY if row.destination == "slack:#policy-alerts" else AI_POLICY].append(
            row.id
        )
    assert outbox_ids(slack, POLICY) == by_channel[POLICY]
    assert outbox_ids(slack, AI_POLICY) == by_channel[AI_POLICY]
    assert len(slack.posted()) == 7 + 1
    [notice] = slack.posted(OPS)
    assert "Slack answers again" in notice.text
    assert {row.status for row in outbox(engine) if row.destination != "console"} == {"sent"}


def test_a_bad_token_fails_the_row_and_tells_ops_on_the_console(
    engine: Engine,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong-0000-secret")
    config = slack_config(slack)
    store(engine, config, item(1), item(2))
    screen = Screen()
    with caplog.at_level(logging.DEBUG):
        report = deliver(engine, config, screen)
    assert (report.failed, slack.posted()) == (1, [])
    first, second, notice = outbox(engine)
    assert first.status == "failed"
    assert first.last_error is not None
    assert first.last_error.startswith("invalid_auth: ")
    assert second.status == "pending"  # no channel can work with this token: the pass stops
    assert (notice.destination, notice.payload["state"]) == ("console", "slack_failed")
    assert "invalid_auth" in screen.text
    assert "govwatch alerts retry" in screen.text
    assert "wrong-0000-secret" not in caplog.text


def test_a_broken_channel_fails_its_rows_alerts_ops_and_others_go_on(
    engine: Engine, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    rules = tmp_path / "routing.yaml"
    rules.write_text(
        "topics:\n  AI: {words: [AI]}\n  Quantum: {words: [quantum]}\nroutes:\n"
        "  - {name: gone, match: {topics: [AI]}, channels: ['#no-such-channel']}\n"
        "  - {name: uninvited, match: {topics: [Quantum]}, channels: ['#semis']}\n"
    )
    slack.state.not_in_channel.add("C0SEMIS005")
    config = slack_config(slack, routing_file=str(rules))
    store(engine, config, item(1, topics=["AI"]), item(2, topics=["Quantum"]), item(3))
    report = deliver(engine, config)
    assert (report.sent, report.failed) == (1, 2)
    gone, uninvited, fine, *notices = outbox(engine)
    assert (gone.status, gone.last_error) == (
        "failed",
        "channel_not_found: chat.postMessage to #no-such-channel: no such channel, or the bot "
        "cannot see it (check config/routing.yaml)",
    )
    assert uninvited.status == "failed"
    assert uninvited.last_error is not None
    assert uninvited.last_error.startswith("not_in_channel")
    assert fine.status == "sent"
    assert [(n.destination, n.payload["state"]) for n in notices] == [
        ("slack:#govwatch-ops", "slack_failed"),
        ("slack:#govwatch-ops", "slack_failed"),
    ]
    deliver(engine, config)
    texts = [message.text for message in slack.posted(OPS)]
    assert len(texts) == 2
    assert "#no-such-channel failed: channel_not_found" in texts[0]

    store(engine, config, item(4, topics=["AI"]))  # the same failure again: ops already know
    deliver(engine, config)
    assert len([row for row in outbox(engine) if row.kind == "ops"]) == 2


def test_a_burst_becomes_one_summary_per_channel_and_source(
    engine: Engine, config: AppConfig, slack: FakeSlack
) -> None:
    backfill = [
        item(n, source_id="jp_mext_news", country="JP", topics=["AI"], title=f"お知らせ {n}")
        for n in range(1, 26)
    ]
    store(engine, config, *backfill, item(100), item(101))
    report = deliver(engine, config)
    assert report.sent == 2 * 25 + 2
    for channel in (AI_POLICY, JP_POLICY):
        [summary] = slack.posted(channel)
        assert (
            summary.blocks[0]["text"]["text"] == "25 new publications from MEXT 新着情報 (RSS 1.0)"
        )
        assert summary.metadata is not None
        assert summary.metadata["event_type"] == "govwatch_burst"
        assert len(summary.metadata["event_payload"]["outbox_ids"]) == 25
        assert summary.blocks[1]["text"]["text"].count("• <https://") == 10
        assert summary.blocks[2]["elements"][0]["text"] == "…and 15 more from jp_mext_news."
    assert len(slack.posted(POLICY)) == 2  # below the threshold: one message each
    refs = {row.message_ref for row in outbox(engine) if row.destination == "slack:#ai-policy"}
    assert len(refs) == 1


def test_each_channel_gets_at_most_one_message_per_interval(
    engine: Engine, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    # A clock that moves only when the pacer sleeps: the spacing it keeps is read from its
    # own decisions, not from a noisy machine's wall clock.
    now = [0.0]
    posted_at: dict[str, list[float]] = {}

    def sleep(seconds: float) -> None:
        now[0] += seconds

    class RecordingPacer(Pacer):
        def __init__(self) -> None:
            super().__init__(sleep=sleep, clock=lambda: now[0])

        def mark(self, destination: str) -> None:
            posted_at.setdefault(destination, []).append(now[0])
            super().mark(destination)

    monkeypatch.setattr(outbox_module, "Pacer", RecordingPacer)
    config = slack_config(slack, per_channel_interval=0.3)
    store(engine, config, *(item(n, topics=["AI"] if n % 2 else []) for n in range(1, 7)))
    assert deliver(engine, config).sent == 6
    calls = slack.calls("chat.postMessage")
    for channel in ("#policy-alerts", "#ai-policy"):
        assert len([call for call in calls if call.args["channel"] == channel]) == 3
        times = posted_at[f"slack:{channel}"]
        assert len(times) == 3
        assert all(later - earlier >= 0.3 for earlier, later in itertools.pairwise(times))
    # Channels take turns rather than one draining before the other starts.
    order = [call.args["channel"] for call in calls]
    assert order[:2] in (["#policy-alerts", "#ai-policy"], ["#ai-policy", "#policy-alerts"])
