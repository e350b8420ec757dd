"""The web app inside ``govwatch run`` (``web: {enabled: true}`` in govwatch.yaml).

uvicorn runs in its own thread with its own event loop: the daemon's loop keeps the
scheduler's timing, and uvicorn installs no signal handlers outside the main thread, so
SIGTERM / SIGHUP stay the daemon's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from crawler.app_config import WebSection
from crawler.errors import StorageError
from crawler.sources import SourceConfig
from crawler.web.settings import web_settings

if TYPE_CHECKING:
    import uvicorn

START_TIMEOUT_SECONDS = 30.0


class InProcessWeb:
    """A started uvicorn server; :meth:`stop` ends it and waits for its thread."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread) -> None:
        self.server = server
        self.thread = thread

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_web(
    engine: Engine, sources: Callable[[], dict[str, SourceConfig]], section: WebSection
) -> InProcessWeb | None:
    """Serve the web app when the section enables it; None when it does not.

    Raises ConfigError for a non-loopback bind without a password hash or for a malformed
    hash, StorageError when
    the port cannot be bound.
    """
    if not section.enabled:
        return None
    import uvicorn  # here: a daemon without the web app never loads the server

    from crawler.web.app import create_app  # here: the app imports the CLI, which imports us

    settings = web_settings(section.host, section.port, section.password_hash_file)
    app = create_app(engine, sources, settings)
    config = uvicorn.Config(
        app, host=section.host, port=section.port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="govwatch-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise StorageError(f"cannot serve the web app on {section.host}:{section.port}")
        time.sleep(0.05)
    return InProcessWeb(server, thread)
