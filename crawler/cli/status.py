"""``govwatch status``: the health of every configured source, for people and monitoring.

Exit status 1 when any source is broken, so ``govwatch status >/dev/null`` is a check a
monitoring system can run. ``--json`` prints one object per source (docs/operations.md).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.context import configured_sources, existing_engine, stdout

if TYPE_CHECKING:
    from storage.cluster import QueueState

STATE_STYLES = {"ok": "green", "failing": "yellow", "broken": "bold red", "stale": "magenta"}


def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per source.")] = False,
    cluster: Annotated[
        bool,
        typer.Option(
            "--cluster",
            help="With --json: one object with the crawl queue and its workers instead "
            "(distributed mode, docs/scaling.md).",
        ),
    ] = False,
) -> None:
    """Show the health of every source; exit 1 if any source is broken.

    Columns: state, last run, last success, last new item, new items in the last 7 days,
    next run, last error.

    Example: govwatch status --json
    """
    from crawler.service.lease import LEASE_NAME
    from crawler.source_status import build_report
    from storage.cluster import STALLED_AFTER, queue_state
    from storage.db import transaction
    from storage.leases import read_lease
    from storage.models import utcnow

    sources = configured_sources()
    now = utcnow()
    database = existing_engine()
    with transaction(database) as session:
        report = build_report(session, sources, now)
        lease = read_lease(session, LEASE_NAME)
    queue = queue_state(database, STALLED_AFTER)
    if as_json and cluster:
        print(json.dumps(cluster_report(queue), ensure_ascii=False))
        return
    if as_json:
        for entry in report:
            print(json.dumps(entry, ensure_ascii=False))
    else:
        # A planned time means nothing while no scheduler is there to keep it.
        running = lease is not None and lease.stopped_at is None
        _print_table(report, now, scheduler_running=running)
        stdout.print(_scheduler_line(lease, now))
        if queue is not None:
            stdout.print(_queue_line(queue))
    if any(entry["state"] == "broken" for entry in report):
        raise typer.Exit(1)


def _print_table(report: list[dict[str, Any]], now: datetime, *, scheduler_running: bool) -> None:
    table = Table(title=f"{len(report)} sources", title_justify="left")
    for column in ("source", "state", "last run", "last success", "last new item", "new 7d",
                   "next run", "last error"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for entry in report:
        state = entry["state"] if entry["enabled"] else f"{entry['state']} (disabled)"
        style = STATE_STYLES.get(entry["state"])
        last_run = _ago(entry["last_run_at"], now)
        if entry["last_outcome"]:
            last_run += f" ({entry['last_outcome']})"
        table.add_row(
            entry["source"],
            f"[{style}]{escape(state)}[/]" if style else escape(state),
            last_run,
            _ago(entry["last_success_at"], now),
            _ago(entry["last_new_item_at"], now),
            str(entry["new_items_7d"]),
            _ago(entry["next_run_at"], now) if scheduler_running else "-",
            escape(_trim(entry["last_error"] or "", 160)),
        )
    stdout.print(table)


def _scheduler_line(lease: Any, now: datetime) -> str:
    if lease is None:
        return "Scheduler: never started on this database (`govwatch run`)."
    if lease.stopped_at is not None:
        return f"Scheduler: stopped {_ago(lease.stopped_at.isoformat(), now)}."
    return (
        f"Scheduler: pid {lease.pid} on {escape(lease.hostname)}, started "
        f"{_ago(lease.started_at.isoformat(), now)}, last heartbeat "
        f"{_ago(lease.heartbeat_at.isoformat(), now)}."
    )


def cluster_report(queue: QueueState | None) -> dict[str, Any]:
    """What ``status --json --cluster`` prints: the crawl queue and its workers."""
    if queue is None:
        return {"distributed": False, "queue": None, "workers": []}
    return {
        "distributed": True,
        "queue": {
            "waiting": queue.waiting,
            "running": queue.running,
            "failed": queue.failed,
            "lag_s": round(queue.lag_seconds, 3) if queue.lag_seconds is not None else None,
        },
        "workers": [
            {
                "worker_id": worker.worker_id,
                "alive": worker.alive,
                "last_seen_at": _iso(worker.last_seen),
                "running_jobs": worker.running_jobs,
            }
            for worker in queue.workers
        ],
    }


def _queue_line(queue: QueueState) -> str:
    alive = [worker for worker in queue.workers if worker.alive]
    lag = f"{queue.lag_seconds:.1f}s" if queue.lag_seconds is not None else "none"
    silent = len(queue.workers) - len(alive)
    return (
        f"Crawl queue: {queue.waiting} waiting (oldest due crawl not started: {lag}), "
        f"{queue.running} running, {queue.failed} failed; {len(alive)} workers alive"
        f"{f' ({silent} silent)' if silent else ''}."
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _ago(iso: str | None, now: datetime) -> str:
    if not iso:
        return "-"
    seconds = (datetime.fromisoformat(iso) - now).total_seconds()
    span = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if span >= size or unit == "s":
            amount = f"{int(span // size)}{unit}"
            break
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
