"""The web app with its database not answering: one clear line, 503, no traceback."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from crawler.web.app import create_app
from crawler.web.settings import WebSettings
from tests.web.conftest import serve, sources_config
from tests.web.http import Browser


def _closed_port() -> int:
    """A port nothing listens on: bound, read, released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_that_does_not_answer_is_a_503_with_one_clear_line(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if backend == "sqlite":  # the file's directory is gone (an unmounted volume)
        url = f"sqlite:///{tmp_path / 'gone' / 'govwatch.db'}"
    else:  # a PostgreSQL server that is down: the connection is refused
        url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test"
    engine = create_engine(url)
    caplog.set_level(logging.ERROR)
    with serve(create_app(engine, sources_config, WebSettings())) as base:
        answer = Browser(base).get("/")
    assert answer.status == 503
    assert answer.body == "The database is not answering; try again in a moment."
    lines = [r for r in caplog.records if "database did not answer" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].exc_info is None
    assert "\n" not in lines[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere
