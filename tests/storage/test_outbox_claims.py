"""The dispatcher's SQL in storage on both backends: which rows a sink reads, the
compare-and-set claim (one winner among racing dispatchers, all or nothing), settlements,
and the ops notices' reads."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine

from storage.db import transaction
from storage.models import AlertOutbox, utcnow
from storage.ops_notices import enqueue_notice, outage_opened_at, told_since
from storage.outbox import claim_rows, pending_for_sink, settle_rows


def _rows(engine: Engine, *destinations: str) -> list[int]:
    with transaction(engine) as session:
        rows = [AlertOutbox(kind="ops", destination=d, payload={"text": d}) for d in destinations]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def _row(engine: Engine, outbox_id: int) -> AlertOutbox:
    with transaction(engine) as session:
        row = session.get(AlertOutbox, outbox_id)
        assert row is not None
        return row


def test_a_sink_reads_its_own_pending_rows_oldest_first(engine: Engine) -> None:
    first, other, second, lookalike, done = _rows(
        engine, "console", "slack:#a", "console:ops", "consoles", "console"
    )
    settle_rows(engine, [done], status="sent")
    rows, publications = pending_for_sink(engine, "console", 10)
    assert [row.id for row in rows] == [first, second]
    assert publications == {}
    assert [row.id for row in pending_for_sink(engine, "console", 1)[0]] == [first]
    assert other not in {row.id for row in pending_for_sink(engine, "console", 10)[0]}
    assert lookalike not in {row.id for row in rows}


def test_a_claim_is_a_compare_and_set_all_or_nothing(engine: Engine) -> None:
    a, b = _rows(engine, "console", "console")
    lease = utcnow() + timedelta(minutes=5)
    assert claim_rows(engine, [(a, 0), (b, 0)], lease)
    assert (_row(engine, a).attempts, _row(engine, b).attempts) == (1, 1)
    assert _row(engine, a).next_attempt_at == lease
    assert not claim_rows(engine, [(a, 0)], lease)  # read before someone else's claim
    assert not claim_rows(engine, [(a, 1), (b, 0)], lease)  # b is stale: a is left alone
    assert (_row(engine, a).attempts, _row(engine, b).attempts) == (1, 1)
    settle_rows(engine, [a], status="sent", message_ref="m1")
    assert not claim_rows(engine, [(a, 1)], lease)  # no longer pending
    assert (_row(engine, a).status, _row(engine, a).message_ref) == ("sent", "m1")


def test_racing_dispatchers_claim_a_row_once(engine: Engine) -> None:
    (row,) = _rows(engine, "slack:#a")
    start = threading.Barrier(6)
    won: list[bool] = []
    lock = threading.Lock()

    def dispatcher() -> None:
        start.wait()
        got = claim_rows(engine, [(row, 0)], utcnow() + timedelta(minutes=5))
        with lock:
            won.append(got)

    threads = [threading.Thread(target=dispatcher) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 5 + [True]
    assert _row(engine, row).attempts == 1


def test_an_outage_is_open_until_its_up_notice(engine: Engine) -> None:
    assert outage_opened_at(engine, "slack_down", "slack_up") is None
    enqueue_notice(engine, "console", {"text": "down", "source_id": None, "state": "slack_down"})
    opened = outage_opened_at(engine, "slack_down", "slack_up")
    assert opened is not None
    assert outage_opened_at(engine, "apprise_down", "apprise_up") is None
    enqueue_notice(engine, "console", {"text": "up", "source_id": None, "state": "slack_up"})
    assert outage_opened_at(engine, "slack_down", "slack_up") is None


def test_a_failure_notice_is_found_by_its_key_and_time(engine: Engine) -> None:
    key = "#policy: channel_not_found"
    before = utcnow() - timedelta(minutes=1)
    assert not told_since(engine, key, before)
    enqueue_notice(engine, "console", {"text": "x", "state": "slack_failed", "key": key})
    assert told_since(engine, key, before)
    assert not told_since(engine, "#other: channel_not_found", before)
    assert not told_since(engine, key, utcnow() + timedelta(minutes=1))
