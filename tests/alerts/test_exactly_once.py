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
from tests.alerts.conftest import ROOT, item, outbox, slack_settings, store
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


@pytest.mark.parametrize("slack_kept_it", [True, False])
def test_a_claimed_row_is_looked_up_before_it_is_posted_again(
    engine: Engine, config: AppConfig, slack: FakeSlack, slack_kept_it: bool
) -> None:
    """A 500 may come after Slack stored the message: the retry reads history first."""
    store(engine, config, item(1))
    failure = "accepted_server_error" if slack_kept_it else "server_error"
    slack.fail_next("chat.postMessage", failure)
    slack.fail_next("chat.postMessage", "server_error")  # the SDK's one retry fails too
    dispatch_all(engine, config)
    [row] = [r for r in outbox(engine) if r.kind == "publication"]
    assert (row.status, row.attempts) == ("pending", 1)

    dispatch_all(engine, config)
    [row] = [r for r in outbox(engine) if r.kind == "publication"]
    assert row.status == "sent"
    assert len(slack.calls("conversations.history")) == 1
    assert posted_outbox_ids(slack) == Counter({row.id: 1})
    assert len(slack.calls("chat.postMessage")) == (2 if slack_kept_it else 3)
