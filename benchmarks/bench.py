"""govwatch's benchmark on govsim: what a poll costs, in both ways govwatch is run.

    make bench                                   # N = 50, 500, 2,000; 20 daemon cycles
    .venv/bin/python benchmarks/bench.py --sources 500 --quick --peers

For each N it starts govsim (``../shared/govsim``, ``$GOVSIM_DIR`` or ``--govsim PATH``)
behind ``benchmarks/loopback_hosts.py`` (one loopback host per source by default, so
per-host politeness sees N sites; ``--hosts 1`` puts every source on one host), writes a
sources.yaml declaring one govwatch source per simulated source, and measures, each
govwatch invocation being a real ``govwatch`` process on a temporary SQLite file:

- **fresh**: ``govwatch crawl --all`` as cron would run it, one process per pass: the first
  pass is the baseline (N × 20 items stored; at N = 500 that is the 10,000-item baseline),
  then ``--passes`` unchanged passes (wall, CPU-s and peak RSS from ``wait4``, robots.txt
  requests, 304s), then a publish round (2 new items in 10 sources) checked against
  govsim's ground truth (``/__items``, ``/__published``): new items found, false items,
  publish → stored seconds;
- **daemon**: ``govwatch run`` with every source due every 30 s, sampled from
  ``/proc/<pid>/stat`` and ``/proc/<pid>/status`` over ``--cycles`` 30-second windows
  after a warm-up: CPU-s per window, RSS, and the share of sources polled per window
  (runs started in ``crawl_runs``);
- **startup**: ``govwatch --help``, ``sources``, ``status``, ``check --help``: CPU-s and peak RSS;
- **peers** (``--peers``): urlwatch (its own venv, installed with pip if missing, as
  govsim's run_urlwatch.sh does) on the same workload in the same run; ratios printed.

Writes var/bench/bench-<time>.json and prints one table. Timings are never asserted
anywhere; compare medians and ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GOVWATCH = str(BIN / "govwatch")
URLWATCH_VENV = Path("/tmp/venv-urlwatch")  # noqa: S108 - where govsim's run_urlwatch.sh puts it
WINDOW_S = 30.0
CLK = os.sysconf("SC_CLK_TCK")
SELECTORS: dict[str, dict[str, str]] = {
    "html_en": {
        "item": "ul.news-list > li",
        "title": "a::text",
        "link": "a::attr(href)",
        "date": "span.date::text",
    },
    "html_en_table": {
        "item": "table.releases tbody tr",
        "title": "td a::text",
        "link": "td a::attr(href)",
        "date": "td.dt::text",
    },
    "html_ja": {
        "item": "dl.news > dd",
        "title": "a::text",
        "link": "a::attr(href)",
        "date": "xpath:preceding-sibling::dt[1]/text()",
    },
    "html_ja_reiwa": {
        "item": "div.news_list > div.news_list_item",
        "title": "p.ttl a::text",
        "link": "p.ttl a::attr(href)",
        "date": "p.day::text",
    },
    "html_zh": {
        "item": "ul.list_con > li",
        "title": "a::attr(title)",
        "link": "a::attr(href)",
        "date": "span.date::text",
    },
}
TIMEZONES = {"en": "UTC", "ja": "Asia/Tokyo", "zh": "Asia/Shanghai"}


def find_govsim(given: str | None) -> Path | None:
    """``--govsim``, else ``$GOVSIM_DIR``, else ``shared/govsim`` next to the repo or above."""
    candidates = (
        [given, os.environ.get("GOVSIM_DIR")]
        if given or os.environ.get("GOVSIM_DIR")
        else [str(ROOT.parent / "shared" / "govsim"), str(ROOT.parent.parent / "shared" / "govsim")]
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / "govsim.py").is_file():
            return Path(candidate).resolve()
    return None


# ---------------------------------------------------------------- processes and /proc


@dataclass
class Usage:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def measured(cmd: list[str], env: dict[str, str], timeout: float = 3600) -> Usage:
    """Run ``cmd`` to the end; its own CPU and peak RSS from ``wait4`` (children included)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - read back below
    err = tempfile.TemporaryFile()  # noqa: SIM115
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, cwd=env.get("BENCH_CWD"))  # noqa: S603 - our own commands
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    out.seek(0)
    err.seek(0)
    return Usage(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        proc.returncode,
        out.read().decode("utf-8", "replace"),
        err.read().decode("utf-8", "replace"),
    )


def proc_cpu_s(pid: int) -> float:
    with Path(f"/proc/{pid}/stat").open() as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / CLK  # utime stime cutime cstime


def proc_rss_mb(pid: int) -> float:
    with Path(f"/proc/{pid}/status").open() as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def stop(proc: subprocess.Popen[Any], grace: float = 70) -> None:
    """End a process this benchmark started, by its PID."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# ---------------------------------------------------------------- the workload


class Workload:
    """govsim with N sources behind H loopback hosts, and a govwatch home for it."""

    def __init__(
        self,
        govsim: Path,
        sources: int,
        hosts: int,
        work: Path,
        jitter: str = "0s",
        port: int | None = None,
    ) -> None:
        self.jitter = jitter
        sys.path.insert(0, str(govsim))
        import benchlib

        self.lib = benchlib
        self.sim = benchlib.GovSim(sources, seed=1, port=port)
        self.port = self.sim.port
        self.hosts_proc: subprocess.Popen[str] | None = None
        self.addresses = ["127.0.0.1"]
        if hosts > 1:
            from loopback_hosts import addresses

            self.addresses = addresses(hosts)
            self.hosts_proc = subprocess.Popen(  # noqa: S603 - our own commands
                [
                    sys.executable,
                    str(ROOT / "benchmarks" / "loopback_hosts.py"),
                    "--target",
                    str(self.port),
                    "--hosts",
                    str(hosts),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            if self.hosts_proc.stdout is not None:
                self.hosts_proc.stdout.readline()  # "ready"
        self.entries = [
            {
                **entry,
                "url": entry["url"].replace(
                    "127.0.0.1", self.addresses[entry["id"] % len(self.addresses)]
                ),
            }
            for entry in self.sim.sources
        ]
        self.work = work
        self.db = work / "bench.sqlite3"

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.sim.stats(paths=True)
        return result

    def robots_requests(self, stats: dict[str, Any]) -> int:
        paths = stats.get("paths", {}).get("/robots.txt", {})
        return sum(v["requests"] for v in paths.values())

    def not_modified(self, stats: dict[str, Any]) -> int:
        return int(stats["by_status"].get("304", {}).get("requests", 0))

    def sources_yaml(self, path: Path, every: str) -> None:
        jitter = self.jitter
        lines = []
        for entry in self.entries:
            kind = entry["kind"]
            lines += [
                f"xx_govsim_{entry['id']}:",
                f"  name: govsim {entry['id']} ({kind})",
                f"  kind: {'list_page' if kind.startswith('html') else 'feed'}",
                f'  urls: ["{entry["url"]}"]',
                "  publisher: govsim",
                "  country: US",
                f"  language: {entry['lang']}",
                f"  timezone: {TIMEZONES[entry['lang']]}",
                f"  schedule: {{every: {every}, jitter: {jitter}}}",
                "  allow_private_network: true",
                "  expect: {min_items: 1}",
            ]
            if kind in SELECTORS:
                lines.append("  list:")
                lines += [f"    {k}: {json.dumps(v)}" for k, v in SELECTORS[kind].items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def env(self, every: str = "15m") -> dict[str, str]:
        sources = self.work / f"sources-{every}.yaml"
        if not sources.exists():
            self.sources_yaml(sources, every)
        return {
            **os.environ,
            "GOVWATCH_SOURCES": str(sources),
            "GOVWATCH_DATABASE_URL": f"sqlite:///{self.db}",
            "BENCH_CWD": str(self.work),
        }

    def close(self) -> None:
        if self.hosts_proc is not None:
            if self.hosts_proc.stdin is not None:
                self.hosts_proc.stdin.close()
            stop(self.hosts_proc, grace=5)
        self.sim.stop()


# ---------------------------------------------------------------- the modes


def fresh_mode(
    w: Workload,
    passes: int,
    profile: Path | None = None,
    publish: bool = True,
    baseline_db: Path | None = None,
) -> dict[str, Any]:
    crawl = [GOVWATCH, "crawl", "--all", "--json"]
    w.sim.reset()
    if baseline_db is not None and baseline_db.is_file():
        # A restarted govsim sends new validators (its clock starts at its start), so one
        # unmeasured pass stores them: the daemon then sees 304s, as after a real baseline.
        shutil.copyfile(baseline_db, w.db)
        again = measured(crawl, w.env())
        print(
            f"  baseline: copied from {baseline_db}; validators renewed by one pass "
            f"({again.wall_s:.0f} s, not measured)",
            flush=True,
        )
        return {"baseline": {"copied_from": str(baseline_db)}, "unchanged": []}
    base = measured(crawl, w.env())
    if baseline_db is not None:
        with sqlite3.connect(w.db) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(w.db, baseline_db)
    base_stats = w.stats()
    if base.returncode not in (0, 1):
        print(f"  govwatch crawl failed ({base.returncode}): {base.stderr.strip()[-500:]}")
    result: dict[str, Any] = {
        "baseline": {
            "wall_s": base.wall_s,
            "cpu_s": base.cpu_s,
            "peak_rss_mb": base.peak_rss_mb,
            "items_stored": _count(w.db, "SELECT count(*) FROM publications"),
            "robots_requests": w.robots_requests(base_stats),
            "outcomes": _outcomes(base.stdout),
        }
    }
    rows = []
    for _ in range(passes):
        w.sim.reset()
        usage = measured(crawl, w.env())
        stats = w.stats()
        rows.append(
            {
                "wall_s": usage.wall_s,
                "cpu_s": usage.cpu_s,
                "peak_rss_mb": usage.peak_rss_mb,
                "robots_requests": w.robots_requests(stats),
                "r304": w.not_modified(stats),
                "requests": stats["requests"],
                "body_kb": stats["body_bytes"] / 1024,
                "outcomes": _outcomes(usage.stdout),
            }
        )
        print(
            f"  fresh pass: {usage.wall_s:.2f} s, {usage.cpu_s:.2f} CPU-s, "
            f"{usage.peak_rss_mb:.0f} MB, robots.txt {rows[-1]['robots_requests']}, "
            f"304s {rows[-1]['r304']}",
            flush=True,
        )
    result["unchanged"] = rows
    result["unchanged_median"] = {
        k: median([r[k] for r in rows])
        for k in ("wall_s", "cpu_s", "peak_rss_mb", "robots_requests", "r304", "requests")
    }
    if profile is not None:  # one more unchanged pass, under py-spy, not measured
        measured(
            [
                str(BIN / "py-spy"),
                "record",
                "-f",
                "raw",
                "-r",
                "200",
                "-o",
                str(profile),
                "--",
                *crawl,
            ],
            w.env(),
        )
        result["profile"] = str(profile)
    if publish:
        result["publish"] = publish_round(w, crawl)
    return result


def _outcomes(stdout: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in stdout.splitlines():
        try:
            outcome = json.loads(line).get("outcome", "?")
        except ValueError:
            continue
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _count(db: Path, sql: str, *args: Any) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return int(con.execute(sql, args).fetchone()[0])


def publish_round(w: Workload, crawl: list[str]) -> dict[str, Any]:
    chooser = random.Random(7)  # noqa: S311 - a repeatable choice, not a secret
    chosen = chooser.sample([e["id"] for e in w.entries], min(10, len(w.entries)))
    with sqlite3.connect(f"file:{w.db}?mode=ro", uri=True) as con:
        before = con.execute("SELECT max(id) FROM publications").fetchone()[0] or 0
    w.sim.reset()
    events = w.sim.publish(chosen, 2)
    published_ts = min(e["ts"] for e in events)
    usage = measured(crawl, w.env())
    truth = {(e["source"], e["id"]) for e in events}
    with sqlite3.connect(f"file:{w.db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT title, first_seen_at FROM publications WHERE id > ?", (before,)
        ).fetchall()
    found: set[tuple[int, int]] = set()
    latencies = []
    for title, first_seen in rows:
        found |= w.lib.item_keys(title)
        seen = datetime.fromisoformat(str(first_seen)).replace(tzinfo=UTC).timestamp()
        latencies.append(seen - published_ts)
    return {
        "published": len(truth),
        "found": len(found & truth),
        "false_items": len(found - truth),
        "publish_to_stored_s_max": max(latencies) if latencies else None,
        "wall_s": usage.wall_s,
        "cpu_s": usage.cpu_s,
        "ground_truth_checked": all(
            (k, i["id"]) in found
            for k in chosen
            for i in w.lib.http("GET", f"{w.sim.base}/__items?source={k}")[:2]
        ),
    }


def spread_last_runs(db: Path, every_s: float) -> None:
    """Give each source a last run a random share of its interval ago (from now), as in a
    daemon that has run for a while: its sources then fall due spread over the interval,
    not in the one clump a single ``crawl --all`` pass leaves (which a fresh daemon would
    see)."""
    chooser = random.Random(11)  # noqa: S311 - a repeatable spread, not a secret
    now = datetime.now(UTC).replace(tzinfo=None)
    with sqlite3.connect(db) as con:
        ids = [row[0] for row in con.execute("SELECT DISTINCT source_id FROM crawl_runs")]
        for source_id in ids:
            started = now - timedelta(seconds=chooser.uniform(0, every_s))
            con.execute(
                "UPDATE crawl_runs SET started_at = ?, finished_at = ? WHERE source_id = ?",
                (
                    started.isoformat(sep=" "),
                    (started + timedelta(seconds=1)).isoformat(sep=" "),
                    source_id,
                ),
            )


def daemon_mode(
    w: Workload,
    cycles: int,
    warmup: int,
    profile: Path | None = None,
    every: str = "30s",
    window_s: float = WINDOW_S,
) -> dict[str, Any]:
    """``govwatch run`` with every source due every ``every``; the share polled per window
    is the distinct sources with a run started in the window over N, so a window as long
    as the interval must see every source (longer intervals: ``--window``)."""
    env = w.env(every)
    every_s = _seconds(every)
    dues: dict[str, datetime] = {}
    if every_s > window_s or window_s > WINDOW_S:
        spread_last_runs(w.db, every_s)
        dues = _due_times(w.db, every_s)
    log = (w.work / "daemon.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - our own commands
        [GOVWATCH, "run"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(w.work)
    )
    windows = []
    try:
        time.sleep(window_s * warmup)
        for _ in range(cycles):
            if proc.poll() is not None:
                print(f"  govwatch run ended early ({proc.returncode}); see {w.work}/daemon.log")
                break
            t0 = datetime.now(UTC)
            cpu0 = proc_cpu_s(proc.pid)
            w.sim.reset()
            _sleep_reporting(w, t0, window_s)
            cpu1 = proc_cpu_s(proc.pid)
            t1 = datetime.now(UTC)
            stats = w.stats()
            started = _polled(w.db, t0, t1)
            due, polled_due = _due_polled(w.db, dues, t0, t1) if dues else (None, None)
            windows.append(
                {
                    "sources_due": due,
                    "due_polled": polled_due,
                    "share_due_polled": polled_due / due if due else None,
                    "window_s": window_s,
                    "cpu_s": cpu1 - cpu0,
                    "cpu_s_per_30s": (cpu1 - cpu0) * WINDOW_S / window_s,
                    "rss_mb": proc_rss_mb(proc.pid),
                    "sources_polled": started,
                    "share_polled": started / len(w.entries),
                    "runs_started": _count(
                        w.db,
                        "SELECT count(*) FROM crawl_runs WHERE started_at >= ? AND started_at < ?",
                        _naive(t0),
                        _naive(t1),
                    ),
                    "list_requests": stats["by_kind"].get("list", {}).get("requests", 0),
                    "robots_requests": w.robots_requests(stats),
                    "r304": w.not_modified(stats),
                }
            )
            print(
                f"  daemon window ({window_s:.0f} s): {windows[-1]['cpu_s']:.2f} CPU-s, "
                f"{windows[-1]['rss_mb']:.0f} MB, polled {started}/{len(w.entries)}"
                + (f", due {due}: {polled_due} polled" if due is not None else ""),
                flush=True,
            )
        if profile is not None and proc.poll() is None:  # two more windows, under py-spy
            subprocess.run(  # noqa: S603 - our own command
                [
                    str(BIN / "py-spy"),
                    "record",
                    "-f",
                    "raw",
                    "-r",
                    "100",
                    "-o",
                    str(profile),
                    "--pid",
                    str(proc.pid),
                    "--duration",
                    str(int(2 * WINDOW_S)),
                ],
                capture_output=True,
                check=False,
            )
    finally:
        stop(proc)
        log.close()
    skips = (
        (w.work / "daemon.log")
        .read_text(errors="replace")
        .count("maximum number of running instances")
    )
    result: dict[str, Any] = {
        "windows": windows,
        "warmup_windows": warmup,
        "every": every,
        "window_s": window_s,
        "skipped_runs_logged": skips,
    }
    if windows:
        cpu = median([x["cpu_s_per_30s"] for x in windows]) or 0.0
        polled = median([x["runs_started"] * WINDOW_S / window_s for x in windows]) or 0.0
        result["median"] = {
            "cpu_s_per_window": cpu,  # per 30 s, whatever the window
            "share_polled_min": min(x["share_polled"] for x in windows),
            "share_polled": median([x["share_polled"] for x in windows]),
            "share_due_polled": _share([x["due_polled"] for x in windows], windows),
            "share_due_polled_min": min(
                (x["share_due_polled"] for x in windows if x["share_due_polled"] is not None),
                default=None,
            ),
            "cpu_ms_per_poll": 1000 * cpu / polled if polled else None,
            "rss_mb": median([x["rss_mb"] for x in windows]),
            "rss_growth_mb": windows[-1]["rss_mb"] - windows[0]["rss_mb"],
        }
    return result


DUE_GRACE = timedelta(seconds=15)  # a 10 s grid, the batcher's 1 s, the crawl's start


def _due_times(db: Path, every_s: float) -> dict[str, datetime]:
    """When each source is next due after :func:`spread_last_runs` (its last start plus
    its interval), as the daemon computes it at start."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT source_id, max(started_at) FROM crawl_runs GROUP BY source_id")
        return {
            sid: datetime.fromisoformat(str(at)).replace(tzinfo=UTC) + timedelta(seconds=every_s)
            for sid, at in rows
        }


def _due_polled(db: Path, dues: dict[str, datetime], t0: datetime, t1: datetime) -> tuple[int, int]:
    """Sources due in the window (shifted back by ``DUE_GRACE``, the time a due source may
    take to start) and how many of them had a run started from their due time to the
    window's end; with intervals longer than the benchmark, each is due once."""
    due = {sid: at for sid, at in dues.items() if t0 - DUE_GRACE <= at < t1 - DUE_GRACE}
    if not due:
        return 0, 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        starts: dict[str, list[datetime]] = {}
        for sid, at in con.execute(
            "SELECT source_id, started_at FROM crawl_runs WHERE started_at >= ?",
            (_naive(min(due.values()) - timedelta(seconds=1)),),
        ):
            starts.setdefault(sid, []).append(datetime.fromisoformat(str(at)).replace(tzinfo=UTC))
    polled = sum(
        1
        for sid, at in due.items()
        if any(at - timedelta(seconds=1) <= x < t1 for x in starts.get(sid, []))
    )
    return len(due), polled


def _share(polled: list[int | None], windows: list[dict[str, Any]]) -> float | None:
    due = sum(x["sources_due"] or 0 for x in windows)
    return sum(p or 0 for p in polled) / due if due else None


def _seconds(duration: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return float(duration[:-1]) * units[duration[-1]]


def _naive(at: datetime) -> str:
    return at.replace(tzinfo=None).isoformat(sep=" ")


def _polled(db: Path, t0: datetime, t1: datetime) -> int:
    return _count(
        db,
        "SELECT count(DISTINCT source_id) FROM crawl_runs WHERE started_at >= ? AND started_at < ?",
        _naive(t0),
        _naive(t1),
    )


def _sleep_reporting(w: Workload, t0: datetime, window_s: float) -> None:
    """Sleep through a window; in a long one, print the sources polled so far each 30 s."""
    end = time.monotonic() + window_s
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(WINDOW_S, left))
        if window_s > WINDOW_S and end - time.monotonic() > 1:
            print(
                f"    so far: polled {_polled(w.db, t0, datetime.now(UTC))}/{len(w.entries)}",
                flush=True,
            )


def startup_mode(w: Workload, repeat: int) -> dict[str, Any]:
    commands = {
        "--help": [GOVWATCH, "--help"],
        "sources": [GOVWATCH, "sources"],
        "status": [GOVWATCH, "status"],
        "check --help": [GOVWATCH, "check", "--help"],
    }
    out: dict[str, Any] = {}
    for name, cmd in commands.items():
        runs = [measured(cmd, w.env()) for _ in range(repeat)]
        out[name] = {
            "cpu_s": median([r.cpu_s for r in runs]),
            "peak_rss_mb": max(r.peak_rss_mb for r in runs),
            "returncode": runs[-1].returncode,
        }
    return out


def peers_mode(w: Workload, passes: int, govsim: Path) -> dict[str, Any]:
    exe = URLWATCH_VENV / "bin" / "urlwatch"
    if not exe.exists():
        print("  installing urlwatch into /tmp/venv-urlwatch (pip)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(URLWATCH_VENV)], check=True)  # noqa: S603 - our own commands
        subprocess.run(  # noqa: S603 - our own commands
            [str(URLWATCH_VENV / "bin" / "pip"), "install", "-q", "urlwatch"], check=True
        )
    import run_urlwatch as ru

    work = w.work / "urlwatch"
    work.mkdir(exist_ok=True)
    ru.write_jobs(f"{work}/urls.yaml", w.entries)
    (work / "urlwatch.yaml").write_text(ru.CONFIG)
    first = ru.run_once(str(exe), str(work))
    rows = []
    for _ in range(passes):
        w.sim.reset()
        r = ru.run_once(str(exe), str(work))
        stats = w.stats()
        rows.append(
            {
                "wall_s": r["wall_s"],
                "cpu_s": r["cpu_s"],
                "peak_rss_mb": r["peak_rss_mb"],
                "r304": w.not_modified(stats),
            }
        )
        print(f"  urlwatch pass: {r['wall_s']:.2f} s, {r['cpu_s']:.2f} CPU-s", flush=True)
    return {
        "version": subprocess.run(  # noqa: S603 - our own commands
            [str(exe), "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "first_run": {k: first[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")},
        "unchanged": rows,
        "unchanged_median": {
            k: median([r[k] for r in rows]) for k in ("wall_s", "cpu_s", "peak_rss_mb", "r304")
        },
    }


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", default="50,500,2000", help="comma-separated N values")
    parser.add_argument("--govsim", default=None, help="govsim folder (default ../shared/govsim)")
    parser.add_argument("--hosts", type=int, default=0, help="loopback hosts (default: N)")
    parser.add_argument("--passes", type=int, default=5, help="unchanged fresh-process passes")
    parser.add_argument("--cycles", type=int, default=20, help="30-second daemon windows")
    parser.add_argument("--warmup", type=int, default=4, help="daemon windows not measured")
    parser.add_argument("--jitter", default="0s", help="schedule jitter of every source")
    parser.add_argument("--quick", action="store_true", help="2 passes, 4 windows (development)")
    parser.add_argument(
        "--daemon-only",
        action="store_true",
        help="only the baseline pass (so the daemon polls unchanged sources) and the daemon",
    )
    parser.add_argument("--every", default="30s", help="daemon: every source's interval")
    parser.add_argument(
        "--baseline-db",
        type=Path,
        default=None,
        help="with --daemon-only: copy the baseline from this SQLite file if it exists, "
        "else store the measured baseline there (use with --port: the URLs must match)",
    )
    parser.add_argument("--port", type=int, default=None, help="govsim's port (default: free)")
    parser.add_argument(
        "--window",
        type=float,
        default=WINDOW_S,
        help="daemon: window length in seconds (as long as --every to see every source once)",
    )
    parser.add_argument("--modes", default="fresh,daemon,startup")
    parser.add_argument("--peers", action="store_true", help="also run urlwatch; print ratios")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy profiles (extra, unmeasured) to var/bench/"
    )
    args = parser.parse_args()
    govsim = find_govsim(args.govsim)
    if govsim is None:
        print(
            "govsim not found: pass --govsim PATH or set GOVSIM_DIR "
            "(expected ../shared/govsim/govsim.py)",
            file=sys.stderr,
        )
        return 2
    if not Path(GOVWATCH).exists():
        print(f"{GOVWATCH} not found: run `make setup` first", file=sys.stderr)
        return 2
    if args.quick:
        args.passes, args.cycles, args.warmup = 2, 4, 2
    sys.path.insert(0, str(ROOT / "benchmarks"))
    modes = set(args.modes.split(","))
    if args.daemon_only:
        modes, args.passes = {"daemon"}, 0
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "python": sys.version.split()[0],
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
        "nproc": os.cpu_count(),
        "runs": {},
    }
    for n in [int(x) for x in args.sources.split(",")]:
        print(f"N = {n}", flush=True)
        work = Path(tempfile.mkdtemp(prefix=f"govwatch-bench-{n}-"))
        w = Workload(govsim, n, args.hosts or n, work, args.jitter, args.port)
        run: dict[str, Any] = {"hosts": len(w.addresses)}
        try:
            if "fresh" in modes or "daemon" in modes:
                run["fresh"] = fresh_mode(
                    w,
                    args.passes,
                    _profile(args, "fresh", n),
                    publish=not args.daemon_only,
                    baseline_db=args.baseline_db if args.daemon_only else None,
                )
            if "daemon" in modes:
                run["daemon"] = daemon_mode(
                    w,
                    args.cycles,
                    args.warmup,
                    _profile(args, "daemon", n),
                    every=args.every,
                    window_s=args.window,
                )
            if "startup" in modes:
                run["startup"] = startup_mode(w, 3)
            if args.peers:
                run["urlwatch"] = peers_mode(w, args.passes, govsim)
        finally:
            w.close()
            shutil.rmtree(work, ignore_errors=True)
        results["runs"][str(n)] = run
    results["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=1))
    print_table(results)
    print(f"wrote {out}")
    return 0


def _profile(args: argparse.Namespace, mode: str, n: int) -> Path | None:
    if not args.profile:
        return None
    if not (BIN / "py-spy").exists():
        print("--profile needs py-spy: .venv/bin/pip install py-spy", file=sys.stderr)
        return None
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    return ROOT / "var" / "bench" / f"profile-{mode}-{n}-{datetime.now(UTC):%Y%m%dT%H%M%S}.txt"


def _fmt(value: Any, spec: str = ".2f") -> str:
    return "—" if value is None else format(value, spec)


def print_table(results: dict[str, Any]) -> None:
    print(
        f"\nload average before/after: {results['loadavg_before']} / "
        f"{results['loadavg_after']} on {results['nproc']} cores; medians"
    )
    print(
        "| N | fresh pass: wall s | CPU-s | peak MB | robots.txt/pass | 304s | baseline CPU-s "
        "(items) | publish: found | false | publish→stored s | daemon CPU-s/30 s | "
        "ms/poll | share polled | RSS MB | urlwatch wall s | CPU-s | ratio CPU |"
    )
    print("|---" * 18 + "|")
    for n, run in results["runs"].items():
        fresh = run.get("fresh", {})
        um = fresh.get("unchanged_median", {})
        base = fresh.get("baseline", {})
        pub = fresh.get("publish", {})
        dm = run.get("daemon", {}).get("median", {})
        peer = run.get("urlwatch", {}).get("unchanged_median", {})
        ratio = (um["cpu_s"] / peer["cpu_s"]) if um.get("cpu_s") and peer.get("cpu_s") else None
        print(
            "| "
            + " | ".join(
                [
                    n,
                    _fmt(um.get("wall_s")),
                    _fmt(um.get("cpu_s")),
                    _fmt(um.get("peak_rss_mb"), ".0f"),
                    _fmt(um.get("robots_requests"), ".0f"),
                    _fmt(um.get("r304"), ".0f"),
                    f"{_fmt(base.get('cpu_s'))} ({base.get('items_stored', '—')})",
                    f"{pub.get('found', '—')}/{pub.get('published', '—')}",
                    str(pub.get("false_items", "—")),
                    _fmt(pub.get("publish_to_stored_s_max")),
                    _fmt(dm.get("cpu_s_per_window")),
                    _fmt(dm.get("cpu_ms_per_poll"), ".1f"),
                    f"{_fmt(dm.get('share_polled'), '.0%')} "
                    f"(min {_fmt(dm.get('share_polled_min'), '.0%')})",
                    _fmt(dm.get("rss_mb"), ".0f"),
                    _fmt(peer.get("wall_s")),
                    _fmt(peer.get("cpu_s")),
                    _fmt(ratio, ".1f"),
                ]
            )
            + " |"
        )
    for n, run in results["runs"].items():
        if "daemon" in run:
            daemon = run["daemon"]
            print(
                f"daemon (N = {n}): every {daemon['every']}, {len(daemon['windows'])} windows "
                f"of {daemon['window_s']:.0f} s after {daemon['warmup_windows']} warm-up; "
                f"polled per window {[x['sources_polled'] for x in daemon['windows']]}; "
                f'"maximum number of running instances" skips logged: '
                f"{daemon['skipped_runs_logged']}"
            )
            dm = daemon.get("median", {})
            if dm.get("share_due_polled") is not None:
                print(
                    f"  due sources polled by the window's end: "
                    f"{sum(x['due_polled'] for x in daemon['windows'])}/"
                    f"{sum(x['sources_due'] for x in daemon['windows'])} "
                    f"({_fmt(dm['share_due_polled'], '.0%')}; worst window "
                    f"{_fmt(dm['share_due_polled_min'], '.0%')})"
                )
    for n, run in results["runs"].items():
        if "startup" in run:
            cells = ", ".join(
                f"`{k}` {_fmt(v['cpu_s'])} CPU-s / {_fmt(v['peak_rss_mb'], '.0f')} MB"
                for k, v in run["startup"].items()
            )
            print(f"start-up (N = {n}): {cells}")


if __name__ == "__main__":
    sys.exit(main())
