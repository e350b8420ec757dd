"""A first run without network, and a slow crawl on a terminal: what a person sees."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample
from tests.test_cli import govwatch
from tests.test_cli_contracts import feed_source


def test_sources_failing_the_same_way_give_one_summary_line_and_short_rows(
    tmp_path: Path,
) -> None:
    # `.invalid` never resolves (RFC 2606): the same DNS failure an offline machine meets.
    config = tmp_path / "sources.yaml"
    config.write_text(
        "".join(
            f"""us_unreachable_{n}:
  name: Unreachable agency {n}
  kind: feed
  urls: ["https://www.agency{n}.invalid/feed.xml"]
  publisher: Agency {n}
  country: US
  language: en
"""
            for n in range(4)
        ),
        encoding="utf-8",
    )
    result = govwatch("crawl", "--all", cwd=tmp_path, env={"GOVWATCH_SOURCES": str(config)})
    assert result.returncode == 1
    summary = [line for line in result.stdout.splitlines() if "failed the same way" in line]
    assert len(summary) == 1, result.stdout
    assert summary[0].startswith("4 of 4 sources failed the same way: the host name")
    assert "govwatch demo" in summary[0]
    assert result.stdout.count("govwatch demo") == 1, "the hint is given once, not per source"
    rows = [line for line in result.stdout.splitlines() if "us_unreachable_" in line]
    assert len(rows) == 4
    assert all(len(row) <= 160 for row in rows), rows
    assert "https://www.agency" not in result.stdout
    assert result.stderr == ""


def test_a_slow_crawl_on_a_terminal_shows_progress(pages: PageServer, tmp_path: Path) -> None:
    url = pages.route(
        "/slow.xml", Route(rss([sample(1)]), content_type="application/rss+xml", delay=4)
    )
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", "crawl", "--all"],
        cwd=tmp_path,
        env={
            **os.environ,
            "GOVWATCH_SOURCES": str(feed_source(tmp_path, url)),
            "GOVWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'gw.sqlite3'}",
            "TERM": "xterm",
            "COLUMNS": "100",
        },
        stdout=subprocess.PIPE,
        stderr=secondary,
        text=True,
    )
    os.close(secondary)
    chunks: list[bytes] = []

    def read_terminal() -> None:  # drained as it comes, so the child never blocks on it
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the other end is closed: everything was read
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    stdout, _ = process.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(primary)
    terminal = b"".join(chunks)
    assert process.returncode == 0, terminal.decode(errors="replace")
    shown = terminal.decode("utf-8", errors="replace")
    assert "Crawling" in shown
    assert "0/1" in shown
    assert "Crawling" not in stdout, "progress goes to the terminal's stderr, not stdout"
    assert "us_test_feed" in stdout


def test_a_slow_crawl_off_a_terminal_writes_plain_progress_lines(
    pages: PageServer, tmp_path: Path
) -> None:
    # Longer than the 15 s between plain lines, so at least one is due before it ends.
    url = pages.route(
        "/slow.xml", Route(rss([sample(1)]), content_type="application/rss+xml", delay=17)
    )
    env = {"GOVWATCH_SOURCES": str(feed_source(tmp_path, url))}
    result = govwatch("crawl", "--all", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    progress = result.stderr.splitlines()
    assert progress, "no progress line"
    assert all(re.fullmatch(r"govwatch crawl: [01] of 1 sources done \(\d+s\)", line) for line in progress), progress  # fmt: skip
    assert "\x1b[" not in result.stderr, "no terminal control codes off a terminal"
    assert "sources done" not in result.stdout
