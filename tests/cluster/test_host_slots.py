"""The cluster's per-host slots on PostgreSQL: a connection takes a host's free slots up to
its concurrency, another connection (another worker) finds them busy until one is given
back, and a session that ends frees its slots. (Closing a pooled connection would not end
the session: the middleware invalidates it before closing.)"""

from __future__ import annotations

import time

from sqlalchemy import Engine

from storage.host_slots import open_slot_connection, release_slot, take_free_slot


def test_slots_are_shared_across_connections_and_freed_with_them(pg_engine: Engine) -> None:
    engine = pg_engine
    mine, namespace = open_slot_connection(engine)
    theirs, their_namespace = open_slot_connection(engine)
    try:
        assert namespace == their_namespace  # one schema, one namespace
        assert take_free_slot(mine, namespace, "a.gov", 2, []) == 0
        assert take_free_slot(mine, namespace, "a.gov", 2, [0]) == 1
        assert take_free_slot(mine, namespace, "a.gov", 2, [0, 1]) is None
        assert take_free_slot(theirs, namespace, "a.gov", 2, []) is None
        assert take_free_slot(theirs, namespace, "b.gov", 2, []) == 0  # hosts are apart
        release_slot(mine, namespace, "a.gov", 0)
        assert take_free_slot(theirs, namespace, "a.gov", 2, []) == 0
        mine.invalidate()  # the session ends (a killed worker): its slots go with it,
        # once the server has noticed the closed socket (a moment, longer on a loaded machine)
        deadline = time.monotonic() + 60
        freed = take_free_slot(theirs, namespace, "a.gov", 2, [0])
        while freed is None and time.monotonic() < deadline:
            time.sleep(0.1)
            freed = take_free_slot(theirs, namespace, "a.gov", 2, [0])
        assert freed == 1
    finally:
        mine.close()
        theirs.close()
