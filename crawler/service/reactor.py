"""The one event loop govwatch crawls on: Twisted's asyncio reactor, started once.

Scrapy needs a reactor, and a Twisted reactor cannot be restarted; so a process gets one,
running in a background thread, and everything that crawls submits coroutines to it
(:func:`run_on_reactor`). The CLI, the tests and the scheduler daemon all use this path, so
there is no reactor per crawl and no subprocess per crawl.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar, cast

from scrapy.utils.reactor import install_reactor

from crawler import settings as crawl_settings
from crawler.safe_resolver import install_safe_resolver

T = TypeVar("T")
_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def reactor_loop() -> asyncio.AbstractEventLoop:
    """The asyncio loop of the running reactor, starting the reactor thread on first use."""
    global _loop
    with _lock:
        if _loop is not None:
            return _loop
        install_reactor(crawl_settings.TWISTED_REACTOR)
        from twisted.internet import reactor

        asyncio_reactor = cast(Any, reactor)  # the installed AsyncioSelectorReactor
        install_safe_resolver(asyncio_reactor)  # before any connection can be made
        loop: asyncio.AbstractEventLoop = asyncio_reactor._asyncioEventloop
        started = threading.Event()
        asyncio_reactor.callWhenRunning(started.set)
        thread = threading.Thread(
            target=asyncio_reactor.run,
            kwargs={"installSignalHandlers": False},
            name="govwatch-reactor",
            daemon=True,
        )
        thread.start()
        started.wait()
        _loop = loop
        return loop


def run_on_reactor(coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run a coroutine on the reactor's loop from any other thread and return its result."""
    future = asyncio.run_coroutine_threadsafe(coroutine, reactor_loop())
    return future.result(timeout)
