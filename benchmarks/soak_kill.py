"""Soak: SIGKILL ``govwatch run`` mid-crawl and mid-dispatch, compare with govsim's ground truth.

    .venv/bin/python benchmarks/soak_kill.py --sources 50 --kills 10      (or: make soak)

Starts govsim (../shared/govsim, or --govsim-dir) with N sources and the local fake Slack Web
API (tests/servers/slack.py), writes a sources.yaml (one govwatch source per simulated one,
polled every 2 s) and a govwatch.yaml pointing Slack at the fake, and runs the real
``govwatch run`` on a temp SQLite file. Then, ``--kills`` times: publish a round of new items
(``/__publish``), and SIGKILL the daemon at a random moment, alternating two ways:

* mid-crawl: as soon as a crawl run of the daemon is in flight (``running`` in the database),
  after a random extra delay of 0–0.5 s;
* mid-dispatch: the fake Slack stores the k-th posted message, then SIGKILLs the daemon
  before answering (the message is in Slack, the outbox does not know it).

The first kill hits the first (baseline) crawl. After each kill the daemon is started again.
At the end it runs undisturbed until every published item is stored and every alert row is
delivered, is stopped with SIGTERM, and the figures are compared with govsim's ground truth:

* stored: every item govsim lists (``/__items``) is stored exactly once (lost, doubled);
* alerted: every published item (``/__published``) is in exactly one Slack message of the
  analysts' channel (lost, doubled), and no item of the first listing is alerted (old).

Prints one summary; exits 1 when anything was lost, doubled or old-alerted. Figures go to
docs/reliability.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from govsim_cycle import SELECTORS, TIMEZONES  # noqa: E402 - the benchmark's source mapping

from storage.db import make_engine, transaction  # noqa: E402
from storage.models import AlertOutbox, CrawlRun, Publication, Source  # noqa: E402
from tests.servers.slack import TOKEN, FakeSlack  # noqa: E402

ITEM_KEY = re.compile(r"[(（](?:ref\. )?(\d+)-(\d+)[)）]")
OPS = "C0GWOPS004"  # #govwatch-ops in the fake Slack


def sources_yaml(sim_sources: list[dict[str, Any]]) -> dict[str, Any]:
    sources: dict[str, Any] = {}
    for sim in sim_sources:
        kind = sim["kind"]
        fields: dict[str, Any] = {
            "name": f"govsim {sim['id']} ({kind})",
            "kind": "list_page" if kind.startswith("html") else "feed",
            "urls": [sim["url"]],
            "publisher": f"govsim {sim['id']}",
            "country": "US",
            "language": sim["lang"],
            "timezone": TIMEZONES[sim["lang"]],
            "allow_private_network": True,
            "schedule": {"every": "2s"},
        }
        if kind in SELECTORS:
            fields["list"] = SELECTORS[kind]
        sources[f"xx_govsim_{sim['id']}"] = fields
    return sources


def app_config(slack_url: str) -> dict[str, Any]:
    return {
        "log_level": "INFO",
        "scheduler": {
            "startup_spread": "1s",
            "batch_window": 0.5,
            "dispatch_every": "1s",
            "shutdown_timeout": "30s",
            "misfire_grace": "30s",
            "heartbeat_every": "1s",
            "crawl_settings": {
                "AUTOTHROTTLE_ENABLED": False,
                "RETRY_TIMES": 0,
                "ROBOTSTXT_OBEY": False,
                "CONCURRENT_REQUESTS": 32,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
            },
        },
        "slack": {
            "base_url": slack_url,
            "default_channel": "#policy-alerts",
            "ops_channel": "#govwatch-ops",
            "per_channel_interval": 0,
            "burst_threshold": 1000,  # one message per item, so items can be counted
            "http_retries": 1,
            "http_backoff": 0.01,
            "retry_backoff": 0,
            "claim_timeout": 0,
        },
    }


class Daemon:
    def __init__(self, workdir: Path, database_url: str) -> None:
        self.workdir = workdir
        self.env = {
            **os.environ,
            "GOVWATCH_SOURCES": str(workdir / "sources.yaml"),
            "GOVWATCH_CONFIG": str(workdir / "govwatch.yaml"),
            "GOVWATCH_DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": TOKEN,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        with (self.workdir / "daemon.err").open("ab") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crawler", "run"],
                cwd=self.workdir,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        os.kill(self.process.pid, signal.SIGTERM)
        return self.process.wait(timeout=90)


def wait_for(predicate: Any, what: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    print(f"  gave up waiting ({timeout:.0f} s) for {what}")
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=5, help="sources given new items")
    parser.add_argument("--items", type=int, default=2, help="new items per chosen source")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--govsim-dir", type=Path, default=ROOT.parent.parent / "shared" / "govsim")
    args = parser.parse_args()
    if not (args.govsim_dir / "benchlib.py").is_file():
        sys.exit(
            f"govsim not found at {args.govsim_dir} (no benchlib.py there): it is not part of "
            "this repository; pass --govsim-dir /path/to/govsim"
        )
    sys.path.insert(0, str(args.govsim_dir))
    import benchlib  # the simulator's own helpers (start/stop, HTTP)

    workdir = Path(tempfile.mkdtemp(prefix="govwatch-soak-"))
    sim = benchlib.GovSim(args.sources, seed=args.seed)
    try:
        with FakeSlack() as slack:
            failures = soak(sim, benchlib, slack, workdir, args)
    finally:
        sim.stop()
    print(f"work folder: {workdir}" if args.keep else "", end="")
    sys.exit(1 if failures else 0)


def soak(sim: Any, benchlib: Any, slack: FakeSlack, workdir: Path, args: Any) -> int:
    chooser = random.Random(args.seed)  # noqa: S311 - a repeatable choice, not a secret
    (workdir / "sources.yaml").write_text(
        yaml.safe_dump(sources_yaml(sim.sources), allow_unicode=True), encoding="utf-8"
    )
    (workdir / "govwatch.yaml").write_text(yaml.safe_dump(app_config(slack.api_url)), "utf-8")
    database_url = f"sqlite:///{workdir / 'gw.sqlite3'}"
    upgrade = subprocess.run(  # noqa: S603 - this interpreter and fixed arguments
        [sys.executable, "-m", "crawler", "--database", database_url, "db", "upgrade"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    if upgrade.returncode != 0:
        sys.exit(f"db upgrade failed: {upgrade.stderr.strip()}")
    engine = make_engine(database_url)
    old_keys = listed(sim, benchlib)
    daemon = Daemon(workdir, database_url)
    kinds: Counter[str] = Counter()
    started = time.monotonic()
    try:
        for number in range(args.kills):
            since = datetime.now(UTC)
            pid = daemon.start()
            if number == 0:
                how = "mid-crawl (baseline)"
            elif number % 2 == 1:
                how = "mid-crawl"
                # Items published while a source is still in baseline are stored silently
                # by design; every round is published once every baseline is complete.
                wait_for(lambda: baselines_done(engine, len(sim.sources)), "baselines", 120)
                publish(sim, chooser, args)
            else:
                how = "mid-dispatch"
                wait_for(lambda: baselines_done(engine, len(sim.sources)), "baselines", 120)
                publish(sim, chooser, args)
            if how.startswith("mid-crawl"):
                in_flight = wait_for(
                    lambda since=since: crawl_in_flight(engine, since), "a crawl in flight", 60
                )
                time.sleep(chooser.uniform(0, 0.5))
                daemon.kill()
                kinds[how if in_flight else "at a random moment"] += 1
            else:
                slack.posts_before_kill = chooser.randint(1, max(1, args.per_round))
                slack.kill_pid_on_post = pid
                killed = wait_for(lambda: not daemon.alive(), "a post to kill on", 60)
                if not killed:
                    slack.kill_pid_on_post = None
                    daemon.kill()
                daemon.kill()  # reaps it
                kinds[how if killed else "at a random moment"] += 1
            print(f"kill {number + 1}/{args.kills}: {how}")
        daemon.start()
        publish(sim, chooser, args)  # one last round the daemon sees undisturbed
        wait_for(lambda: settled(sim, benchlib, engine), "everything stored and delivered", 300)
    finally:
        code = daemon.stop()
    duration = time.monotonic() - started
    return report(sim, benchlib, slack, engine, old_keys, kinds, duration, code, workdir)


def listed(sim: Any, benchlib: Any) -> set[str]:
    """The items each source's page shows now (its newest 20; /__items has them all)."""
    keys: set[str] = set()
    for sim_source in sim.sources:
        items = benchlib.http("GET", f"{sim.base}/__items?source={sim_source['id']}")
        keys.update(item_keys(items[:20]))
    return keys


def publish(sim: Any, chooser: random.Random, args: Any) -> None:
    chosen = chooser.sample([s["id"] for s in sim.sources], args.per_round)
    sim.publish(chosen, args.items)


def item_keys(items: list[dict[str, Any]]) -> list[str]:
    keys = []
    for item in items:
        match = ITEM_KEY.search(item["title"])
        if match:
            keys.append(f"{match[1]}-{match[2]}")
    return keys


def crawl_in_flight(engine: Any, since: datetime) -> bool:
    """Whether this daemon has a crawl running (runs left by the killed one do not count)."""
    with transaction(engine) as session:
        query = select(func.count()).select_from(CrawlRun)
        query = query.where(CrawlRun.outcome == "running", CrawlRun.started_at >= since)
        return bool(session.scalar(query))


def baselines_done(engine: Any, count: int) -> bool:
    with transaction(engine) as session:
        query = select(func.count()).select_from(Source)
        done = session.scalar(query.where(Source.baseline_completed_at.is_not(None)))
        return done == count


def settled(sim: Any, benchlib: Any, engine: Any) -> bool:
    published = set(item_keys(benchlib.http("GET", f"{sim.base}/__published")))
    with transaction(engine) as session:
        titles = list(session.scalars(select(Publication.title)))
        pending = session.scalar(
            select(func.count()).select_from(AlertOutbox).where(AlertOutbox.status != "sent")
        )
    stored = set(item_keys([{"title": t} for t in titles]))
    return published <= stored and pending == 0


def report(
    sim: Any,
    benchlib: Any,
    slack: FakeSlack,
    engine: Any,
    old_keys: set[str],
    kinds: Counter[str],
    duration: float,
    exit_code: int | None,
    workdir: Path,
) -> int:
    published = set(item_keys(benchlib.http("GET", f"{sim.base}/__published")))
    truth = old_keys | published
    with transaction(engine) as session:
        stored = Counter(
            item_keys([{"title": t} for t in session.scalars(select(Publication.title))])
        )
        runs = Counter(session.scalars(select(CrawlRun.outcome)))
    # Topic routing sends an item to its channel (#ai-policy, #semis, #jp-policy) or the
    # default one: an item counts once per channel it was posted to.
    per_channel: Counter[tuple[str, str]] = Counter()
    analyst_messages = 0
    for message in slack.posted():
        if message.channel == OPS:
            continue
        analyst_messages += 1
        text = message.text + json.dumps(message.blocks, ensure_ascii=False)
        per_channel.update({(f"{m[1]}-{m[2]}", message.channel) for m in ITEM_KEY.finditer(text)})
    alerted = Counter(key for key, _ in per_channel.elements())
    doubled = {key for (key, _), count in per_channel.items() if count > 1}
    ops = len(slack.posted(OPS))
    figures = {
        "items to store (first listing + published)": len(truth),
        "published (new) items": len(published),
        "stored lost": len(truth - set(stored)),
        "stored doubled": sum(1 for k in truth if stored[k] > 1),
        "alerts lost": len(published - set(alerted)),
        "alerts doubled": len(doubled & published),
        "old items alerted": len(old_keys & set(alerted)),
        "analyst messages": analyst_messages,
        "ops messages": ops,
    }
    print(f"\nsoak: {len(sim.sources)} sources, kills {dict(kinds)}, {duration:.0f} s")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    print(f"  run outcomes: {dict(runs)}")
    print(f"  daemon exit on SIGTERM: {exit_code}")
    bad = figures["stored lost"] + figures["stored doubled"] + figures["alerts lost"]
    bad += figures["alerts doubled"] + figures["old items alerted"]
    if bad:
        lost = sorted(published - set(alerted))[:10]
        print(f"  examples: alerts lost {lost}, doubled {sorted(doubled)[:10]}; logs in {workdir}")
    return bad


if __name__ == "__main__":
    main()
