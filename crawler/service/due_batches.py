"""Sources whose jobs fire close together are crawled in one ``crawl_sources`` call.

Starting a Scrapy crawl costs ~16-22 ms of CPU (docs/operations.md); one per source per
tick adds up at hundreds of sources. A job hands its source id to the batcher and waits for
the batch that crawls it; a source is never pending and in flight at once, so it never
has two runs at a time.

With ``rerun`` (the daemon's scheduler), a source that falls due again while its previous
run is still in flight is crawled once that run ends, instead of joining it: an overloaded
daemon then polls it late rather than a whole interval later (the scheduler allows two
instances of a job: the running one and the one waiting behind it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

logger = logging.getLogger(__name__)

COLLECT_AT_MOST = timedelta(seconds=1)
"""The longest a batcher waits for more sources after the first: jobs of one scheduler tick
fire together, so this is ample for all of them, while ``batch_window`` (the grid of due
times, 10 s as shipped) would delay every crawl by up to that much."""


def collect_window(batch_window: timedelta) -> float:
    """Seconds a batcher collects sources before it crawls them: the configured window,
    at most :data:`COLLECT_AT_MOST`."""
    return min(batch_window, COLLECT_AT_MOST).total_seconds()


class DueBatches:
    """Collects the sources whose jobs fired close together and crawls them in one call.

    ``run(source_id)`` returns when that source's run is recorded. At most ``limit``
    sources are crawled at once; the others wait for a slot.
    """

    def __init__(
        self,
        crawl: Callable[[list[str]], Awaitable[None]],
        *,
        window: float,
        limit: int,
        rerun: bool = False,
    ) -> None:
        self._crawl = crawl
        self._rerun = rerun
        self._window = window
        self._limit = limit
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._in_flight: dict[str, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False

    @property
    def in_flight(self) -> list[str]:
        return list(self._in_flight)

    async def run(self, source_id: str) -> None:
        loop = asyncio.get_running_loop()
        running = self._in_flight.get(source_id)
        if self._rerun and running is not None:
            # Due again during its run: wait for that run (never two at once), then queue.
            with contextlib.suppress(Exception):  # that run's failure is its own job's
                await asyncio.shield(running)
            if self.closed:
                return
        future = self._pending.get(source_id) or self._in_flight.get(source_id)
        if future is None:
            future = loop.create_future()
            future.add_done_callback(_retrieve)
            self._pending[source_id] = future
            if self._timer is None:
                self._timer = loop.call_later(self._window, self._flush)
        # Shielded: a job cancelled at shutdown must not cancel a crawl other jobs share.
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            if self.closed and future.cancelled():
                return  # shutdown began before this source's crawl started: nothing ran
            raise

    def _flush(self) -> None:
        self._timer = None
        if self.closed:
            return
        free = self._limit - len(self._in_flight)
        batch = {
            source_id: self._pending.pop(source_id) for source_id in list(self._pending)[:free]
        }
        if not batch:
            return
        self._in_flight.update(batch)
        task = asyncio.get_running_loop().create_task(self._crawl_batch(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _crawl_batch(self, batch: dict[str, asyncio.Future[None]]) -> None:
        try:
            await self._crawl(list(batch))
        except Exception as exc:  # handed to each job, which APScheduler logs with its id
            logger.exception("A scheduled crawl of %d sources failed", len(batch))
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc)
        else:
            for future in batch.values():
                if not future.done():
                    future.set_result(None)
        finally:
            for source_id in batch:
                self._in_flight.pop(source_id, None)
            if self._pending and not self.closed and self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(0, self._flush)

    def close(self) -> None:
        """Start nothing new; sources still waiting for a slot are not crawled."""
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait for the crawls in flight; False if some are still running at the timeout."""
        if not self._tasks:
            return True
        _done, running = await asyncio.wait(set(self._tasks), timeout=timeout)
        return not running

    async def cancel(self) -> list[str]:
        """Abandon the crawls in flight (shutdown timeout); returns their source ids."""
        source_ids = self.in_flight
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return source_ids


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark a batch's error as seen even when its job was cancelled (it was logged once)."""
    if not future.cancelled():
        future.exception()
