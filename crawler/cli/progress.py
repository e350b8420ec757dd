"""Progress of a `govwatch crawl` that takes a while: how many sources are done.

A crawl of every source offline or against slow sites takes tens of seconds; silence looks
like a hang. The crawl runs on the reactor thread while this one waits; finished runs are
counted from the database (each run's row gets ``finished_at`` when it ends), so what is
shown is what was recorded. On a terminal a rich progress bar appears after a few seconds
and disappears at the end; elsewhere (a pipe, a log file) a plain line is written now and
then. Both go to stderr: stdout is for results.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from crawler.service.reactor import reactor_loop
from storage.db import transaction
from storage.runs import count_finished_runs

T = TypeVar("T")
BAR_AFTER_SECONDS = 2.0
LINE_EVERY_SECONDS = 15.0
POLL_SECONDS = 0.5


def finished_runs(database: Engine, source_ids: list[str], started: datetime) -> int:
    """Runs of these sources begun since ``started`` that have ended (any outcome)."""
    with transaction(database) as session:
        return count_finished_runs(session, source_ids, started)


def run_with_progress(
    coroutine: Coroutine[Any, Any, T],
    *,
    console: Console,
    database: Engine,
    source_ids: list[str],
    started: datetime,
) -> T:
    """Run ``coroutine`` on the reactor and show progress until it returns.

    Ctrl-C (KeyboardInterrupt) cancels the crawl and propagates to the caller.
    """
    future = asyncio.run_coroutine_threadsafe(coroutine, reactor_loop())
    try:
        if console.is_terminal:
            return _with_bar(future, console, database, source_ids, started)
        return _with_lines(future, console, database, source_ids, started)
    except KeyboardInterrupt:
        future.cancel()
        raise


def _done(future: Future[T], timeout: float) -> bool:
    try:
        future.result(timeout)
    except FutureTimeout:
        return False
    return True


def _with_bar(
    future: Future[T], console: Console, database: Engine, ids: list[str], started: datetime
) -> T:
    if _done(future, BAR_AFTER_SECONDS):
        return future.result()
    columns = (
        TextColumn("Crawling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sources"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("crawl", total=len(ids))
        while not _done(future, POLL_SECONDS):
            progress.update(task, completed=finished_runs(database, ids, started))
    return future.result()


def _with_lines(
    future: Future[T], console: Console, database: Engine, ids: list[str], started: datetime
) -> T:
    began = time.monotonic()
    while not _done(future, LINE_EVERY_SECONDS):
        done = finished_runs(database, ids, started)
        elapsed = int(time.monotonic() - began)
        console.print(
            f"govwatch crawl: {done} of {len(ids)} sources done ({elapsed}s)", markup=False
        )
    return future.result()
