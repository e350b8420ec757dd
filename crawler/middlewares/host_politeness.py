"""Politeness across the cluster: per-host concurrency and delay hold for all workers.

Scrapy's ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY`` bound one process; with
four workers a host would see four times the configured load. In the distributed mode
(``GOVWATCH_CLUSTER_DATABASE_URL`` set by ``govwatch worker``) every request first takes one
of the host's ``concurrency`` slots: a PostgreSQL session advisory lock keyed by
(schema, host, slot), whose SQL is in :mod:`storage.host_slots`. A slot is given back
``delay`` seconds after the response, so two requests through one slot start at least
``delay`` apart, whichever worker sends them.
The locks go with the worker's database session, so a killed worker frees its slots.
Without the setting (``govwatch run``, ``crawl``, SQLite) the middleware is not enabled.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.db import make_engine
from storage.host_slots import open_slot_connection, release_slot, take_free_slot

logger = logging.getLogger(__name__)

SLOT_META = "govwatch_host_slot"
WAIT_STEP = 0.05

_gates: dict[str, HostGate] = {}
_gates_guard = threading.Lock()


def gate_for(database_url: str) -> HostGate:
    """This process's gate on one database (one connection holds all its slot locks)."""
    with _gates_guard:
        if database_url not in _gates:
            _gates[database_url] = HostGate(make_engine(database_url))
        return _gates[database_url]


class HostGate:
    """The host slots this process holds; ``try_take`` / ``give_back`` one at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.held: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._namespace = 0

    def try_take(self, host: str, concurrency: int) -> int | None:
        """A free slot of ``host`` now taken by this process, or None if all are busy.

        One round trip: the slots are tried in order and the scan stops at the first lock
        taken (session locks are re-entrant, so the slots this process holds are skipped)."""
        with self._lock:
            connection = self._connect()
            mine = [slot for held_host, slot in self.held if held_host == host]
            slot = take_free_slot(connection, self._namespace, host, concurrency, mine)
            if slot is None:
                return None
            self.held.add((host, slot))
            return slot

    def give_back(self, host: str, slot: int) -> None:
        with self._lock:
            if (host, slot) not in self.held:
                return
            self.held.discard((host, slot))
            if self._connection is None:
                return
            try:
                release_slot(self._connection, self._namespace, host, slot)
            except SQLAlchemyError:  # the server dropped every slot with the session
                self._drop()

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection, self._namespace = open_slot_connection(self.engine)
            self.held.clear()
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except SQLAlchemyError as exc:
                logger.debug("Dropping the host-slot connection failed: %s", exc)
            self._connection = None
        self.held.clear()


class HostPolitenessMiddleware:
    """Take a cluster-wide host slot before each request; give it back after the delay."""

    def __init__(self, gate: HostGate, concurrency: int, delay: float, slots: dict[str, Any]):
        self.gate = gate
        self.concurrency = concurrency
        self.delay = delay
        self.slots = slots

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostPolitenessMiddleware:
        url = crawler.settings.get("GOVWATCH_CLUSTER_DATABASE_URL")
        if not url:
            raise NotConfigured("not a distributed worker")
        return cls(
            gate_for(str(url)),
            crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 1),
            crawler.settings.getfloat("DOWNLOAD_DELAY", 0.0),
            dict(crawler.settings.getdict("DOWNLOAD_SLOTS")),
        )

    def limits(self, host: str) -> tuple[int, float]:
        """The host's concurrency (a source may ask for less) and delay."""
        slot = self.slots.get(host) or {}
        concurrency = min(int(slot.get("concurrency", self.concurrency)), self.concurrency)
        return max(concurrency, 1), float(slot.get("delay", self.delay))

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        if not host or SLOT_META in request.meta:
            return
        concurrency, _delay = self.limits(host)
        while True:
            slot = self.gate.try_take(host, concurrency)
            if slot is not None:
                request.meta[SLOT_META] = (host, slot)
                return
            await asyncio.sleep(WAIT_STEP)

    def process_response(self, request: Request, response: Response) -> Response:
        self._give_back(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._give_back(request)

    def _give_back(self, request: Request) -> None:
        taken = request.meta.pop(SLOT_META, None)
        if taken is None:
            return
        host, slot = taken
        _concurrency, delay = self.limits(host)
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self.gate.give_back, host, slot)
        else:
            self.gate.give_back(host, slot)
