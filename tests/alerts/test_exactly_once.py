"""Exactly once across a crash: a dispatcher killed between posting and recording.

The fake Slack stores the message and then SIGKILLs the dispatcher process before it can
answer, which is the worst moment: Slack has the message, the outbox does not know. The
next dispatcher must find the message by its metadata and record it, not post again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import Engine

from crawler.alerts.dispatch import dispatch_all
from crawler.app_config import AppConfig
from tests.alerts.conftest import ROOT, item, outbox, slack_config, slack_settings, store
from tests.servers.slack import TOKEN, FakeSlack

POLICY = "C0POLICY01"


def posted_outbox_ids(slack: FakeSlack) -> Counter[int]:
    return Counter(
        m.metadata["event_payload"]["outbox_id"] for m in slack.posted(POLICY) if m.metadata
    )


def test_a_dispatcher_killed_after_posting_does_not_cause_a_second_post(
    engine: Engine, config: AppConfig, slack: FakeSlack
) -> None:
    store(engine, config, item(1), item(2), item(3))
    first, second, third = outbox(engine)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.alerts.dispatcher_process",
            engine.url.render_as_string(hide_password=False),
            json.dumps(slack_settings(slack.api_url)),
        ],
        cwd=ROOT,
        env={**os.environ, "SLACK_BOT_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    slack.posts_before_kill = 2  # the first alert is recorded; the second is not
    slack.kill_pid_on_post = process.pid
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, stderr.decode()

    after_crash = {row.id: row for row in outbox(engine)}
    assert after_crash[first.id].status == "sent"
    assert (after_crash[second.id].status, after_crash[second.id].attempts) == ("pending", 1)
    assert after_crash[third.id].attempts == 0
    assert posted_outbox_ids(slack) == Counter({first.id: 1, second.id: 1})
    crashed_ts = slack.posted(POLICY)[1].ts

    dispatch_all(engine, config)

    assert posted_outbox_ids(slack) == Counter({first.id: 1, second.id: 1, third.id: 1})
    assert len(slack.calls("conversations.history")) == 1
    recovered = {row.id: row for row in outbox(engine)}
    assert recovered[second.id].status == "sent"
    assert recovered[second.id].message_ref == f"{POLICY}:{crashed_ts}"
    assert recovered[third.id].status == "sent"


STORED_THEN_FAILED = ["stored_then_500", "stored_then_503", "stored_then_drop"]
NOT_STORED = ["server_error", "unavailable", "drop", "ratelimited"]


def posts_and_history_reads(slack: FakeSlack) -> list[str]:
    """The order of posts and history reads, as the server saw them."""
    wanted = {"chat.postMessage": "post", "conversations.history": "history"}
    with slack.lock:
        return [wanted[r.method] for r in slack.state.requests if r.method in wanted]


@pytest.mark.parametrize("fault", STORED_THEN_FAILED + NOT_STORED)
def test_a_failed_post_is_delivered_exactly_once_in_the_same_pass(
    engine: Engine, config: AppConfig, slack: FakeSlack, fault: str
) -> None:
    """Slack fails one post, once, then behaves normally. When it had stored the message
    (500 / 503 / dropped connection after storing), the retry finds it in the history and
    records it; when it had not, the retry posts it, after reading the history."""
    store(engine, config, item(1))
    slack.fail_next("chat.postMessage", fault)

    report = dispatch_all(engine, config)

    [row] = [r for r in outbox(engine) if r.kind == "publication"]
    [message] = slack.posted(POLICY)
    assert posted_outbox_ids(slack) == Counter({row.id: 1})
    assert (row.status, row.message_ref, report.sent) == ("sent", f"{POLICY}:{message.ts}", 1)
    if fault in STORED_THEN_FAILED:
        assert posts_and_history_reads(slack) == ["post", "history"]
    else:
        assert posts_and_history_reads(slack) == ["post", "history", "post"]


def test_a_burst_summary_stored_then_answered_500_is_recorded_not_posted_again(
    engine: Engine, config: AppConfig, slack: FakeSlack
) -> None:
    store(engine, config, *(item(n) for n in range(1, 13)))  # > burst_threshold (10)
    slack.fail_next("chat.postMessage", "stored_then_500")

    assert dispatch_all(engine, config).sent == 12

    [summary] = slack.posted(POLICY)
    assert summary.metadata is not None
    assert summary.metadata["event_type"] == "govwatch_burst"
    rows = [r for r in outbox(engine) if r.kind == "publication"]
    assert {(r.status, r.message_ref) for r in rows} == {("sent", f"{POLICY}:{summary.ts}")}
    assert posts_and_history_reads(slack) == ["post", "history"]


def test_a_post_is_not_repeated_while_the_history_cannot_be_read(
    engine: Engine, config: AppConfig, slack: FakeSlack
) -> None:
    """Stored, answered 500, and the history check fails too: no blind repost; the row
    waits and the next pass checks again before anything is posted."""
    store(engine, config, item(1))
    slack.fail_next("chat.postMessage", "stored_then_500")
    # The history stays unreadable for the whole first pass, however often it is retried.
    slack.fail_next("conversations.history", "server_error", times=100)
    dispatch_all(engine, config)
    [row] = [r for r in outbox(engine) if r.kind == "publication"]
    assert (row.status, len(slack.calls("chat.postMessage"))) == ("pending", 1)

    slack.stop_failing("conversations.history")
    dispatch_all(engine, config)
    [row] = [r for r in outbox(engine) if r.kind == "publication"]
    assert row.status == "sent"
    assert posted_outbox_ids(slack) == Counter({row.id: 1})
    assert len(slack.calls("chat.postMessage")) == 1


@pytest.mark.parametrize("fault", ["stored_then_500", "server_error"])
def test_a_row_left_pending_is_looked_up_before_it_is_posted_again(
    engine: Engine, config: AppConfig, slack: FakeSlack, fault: str
) -> None:
    """Without retries inside a pass (``http_retries: 0``) the one failure leaves the row
    pending; the next pass reads the history first and posts only if Slack has nothing."""
    config = slack_config(slack, http_retries=0)
    store(engine, config, item(1))
    slack.fail_next("chat.postMessage", fault)
    dispatch_all(engine, config)
    [row] = [r for r in outbox(engine) if r.kind == "publication"]
    assert (row.status, row.attempts) == ("pending", 1)
    slack_kept_it = fault == "stored_then_500"
    assert len(slack.posted(POLICY)) == (1 if slack_kept_it else 0)

    dispatch_all(engine, config)
    [row] = [r for r in outbox(engine) if r.kind == "publication"]
    assert row.status == "sent"
    assert posted_outbox_ids(slack) == Counter({row.id: 1})
    expected = ["post", "history"] if slack_kept_it else ["post", "history", "post"]
    assert posts_and_history_reads(slack) == expected
