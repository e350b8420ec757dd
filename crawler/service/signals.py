"""Signal handling shared by ``govwatch run`` (both roles) and ``govwatch worker``.

Python runs signal handlers on the main thread only, while the service itself runs on the
reactor's asyncio loop in a background thread (:mod:`crawler.service.reactor`). The handlers
therefore forward each signal to the loop with ``call_soon_threadsafe``, and the main thread
waits in short steps (:func:`wait_for`) so that they run promptly. A second SIGTERM/SIGINT
exits at once from the main thread, even when the loop is busy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Protocol


class Stoppable(Protocol):
    """What a signal is forwarded to: a daemon, a cluster scheduler or a worker."""

    def request_stop(self, reason: str) -> None: ...

    def request_reload(self) -> None: ...


@contextlib.contextmanager
def forwarded_signals(target: Stoppable, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """SIGTERM/SIGINT ask ``target`` to stop (a second one exits at once), SIGHUP to reload."""
    stopping = False

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if signum == signal.SIGHUP:
            loop.call_soon_threadsafe(target.request_reload)
            return
        if stopping:
            os.write(2, b"govwatch: second stop signal, exiting now\n")
            os._exit(128 + signum)
        stopping = True
        loop.call_soon_threadsafe(target.request_stop, signal.Signals(signum).name)

    handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {signum: signal.signal(signum, handler) for signum in handled}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def wait_for(future: concurrent.futures.Future[int]) -> int:
    """Wait on the main thread in short steps, so that signal handlers run promptly."""
    while True:
        with contextlib.suppress(concurrent.futures.TimeoutError):
            return future.result(timeout=0.5)
