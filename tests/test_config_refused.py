"""Configuration refused at the door: ``govwatch run`` / ``reload`` / ``crawl`` as real processes.

Every bad configuration file — routing.yaml, govwatch.yaml or sources.yaml — gives exit 2
and one line on stderr naming the file (and, where it applies, the line and the field),
never a traceback and never silent defaults. A running daemon refuses a bad file on reload
and keeps crawling with the configuration it accepted, even though the file on disk changed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from crawler.cli import main
from crawler.cli import run as run_module
from tests.scheduler.daemon import (
    DaemonProcess,
    app_config,
    feed_source,
    finished_runs,
    wait_until,
)
from tests.servers.pages import PageServer, Route
from tests.spiders.test_feed_spider import rss, sample

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN_TOPIC = (
    "topics:\n  AI: {words: [AI]}\nroutes:\n  - name: typo\n"
    "    match: {topics: [Quantom]}\n    channels: ['#ai-policy']\n"
)
NOT_UTF8 = "log_level: INFO  # café\n".encode("latin-1")
EXPLOIT = "!!python/object/apply:os.system ['touch {marker}']"


@dataclass
class Case:
    """Files to write into the work directory, the environment naming them, and what the
    one line must say. ``{dir}`` in env values and the expected text is the work directory."""

    files: dict[str, str | bytes]
    env: dict[str, str]
    expected: str
    args: list[str] = field(default_factory=list)


CASES = {
    "routing: unknown topic ($GOVWATCH_ROUTING)": Case(
        {"routing.yaml": UNKNOWN_TOPIC},
        {"GOVWATCH_ROUTING": "{dir}/routing.yaml"},
        '{dir}/routing.yaml:5 routes.0.match.topics: unknown topic "Quantom"',
    ),
    "routing: unknown topic (slack.routing_file)": Case(
        {
            "routing.yaml": UNKNOWN_TOPIC,
            "govwatch.yaml": "slack:\n  routing_file: {dir}/routing.yaml\n",
        },
        {},
        '{dir}/routing.yaml:5 routes.0.match.topics: unknown topic "Quantom"',
    ),
    "govwatch.yaml: unknown field": Case(
        {"govwatch.yaml": "log_level: INFO\nslack:\n  defualt_channel: '#x'\n"},
        {},
        "{dir}/govwatch.yaml:3 slack.defualt_channel: unknown field",
    ),
    "govwatch.yaml named by $GOVWATCH_CONFIG, missing": Case(
        {},
        {"GOVWATCH_CONFIG": "{dir}/missing.yaml"},
        "{dir}/missing.yaml: no such file (named by $GOVWATCH_CONFIG)",
    ),
    "routing.yaml named by $GOVWATCH_ROUTING, missing": Case(
        {},
        {"GOVWATCH_ROUTING": "{dir}/missing.yaml"},
        "{dir}/missing.yaml: no such file (named by $GOVWATCH_ROUTING)",
    ),
    "routing.yaml named by slack.routing_file, missing": Case(
        {"govwatch.yaml": "log_level: INFO\nslack:\n  routing_file: {dir}/missing.yaml\n"},
        {},
        "{dir}/govwatch.yaml:3 slack.routing_file: no such file {dir}/missing.yaml",
    ),
    "sources.yaml named by $GOVWATCH_SOURCES, missing": Case(
        {},
        {"GOVWATCH_SOURCES": "{dir}/missing.yaml"},
        "{dir}/missing.yaml: no such file (named by $GOVWATCH_SOURCES or --config)",
    ),
    "sources.yaml named by --config, missing": Case(
        {},
        {},
        "{dir}/missing.yaml: no such file (named by $GOVWATCH_SOURCES or --config)",
        ["--config", "{dir}/missing.yaml"],
    ),
    "govwatch.yaml: not UTF-8": Case(
        {"govwatch.yaml": NOT_UTF8},
        {},
        "{dir}/govwatch.yaml:1: not UTF-8 text (byte 0xe9)",
    ),
    "routing.yaml: not UTF-8": Case(
        {"routing.yaml": b"topics:\n  AI:\n    words: [IA, intelligence artificielle, \xe9]\n"},
        {"GOVWATCH_ROUTING": "{dir}/routing.yaml"},
        "{dir}/routing.yaml:3: not UTF-8 text (byte 0xe9)",
    ),
    "sources.yaml: not UTF-8": Case(
        {"sources.yaml": b"xx_feed:\n  name: Minist\xe8re\n"},
        {"GOVWATCH_SOURCES": "{dir}/sources.yaml"},
        "{dir}/sources.yaml:2: not UTF-8 text (byte 0xe8)",
    ),
    "govwatch.yaml: python tag": Case(
        {"govwatch.yaml": f"log_level: {EXPLOIT}\n"},
        {},
        "{dir}/govwatch.yaml:1: the YAML tag !!python/object/apply:os.system is not allowed",
    ),
    "routing.yaml: python tag": Case(
        {"routing.yaml": f"topics:\n  AI: {EXPLOIT}\n"},
        {"GOVWATCH_ROUTING": "{dir}/routing.yaml"},
        "{dir}/routing.yaml:2: the YAML tag !!python/object/apply:os.system is not allowed",
    ),
    "sources.yaml: python tag": Case(
        {"sources.yaml": f"xx_feed: {EXPLOIT}\n"},
        {"GOVWATCH_SOURCES": "{dir}/sources.yaml"},
        "{dir}/sources.yaml:1: the YAML tag !!python/object/apply:os.system is not allowed",
    ),
}


def write_case(case: Case, workdir: Path) -> tuple[dict[str, str], list[str], str]:
    """Write the case's files; return its environment, options and expected line."""
    here = str(workdir)
    (workdir / "govwatch.yaml").write_text("log_level: INFO\n", encoding="utf-8")
    for filename, content in case.files.items():
        if isinstance(content, bytes):
            (workdir / filename).write_bytes(content)
        else:
            text = content.replace("{dir}", here).replace("{marker}", str(workdir / "exploited"))
            (workdir / filename).write_text(text, encoding="utf-8")
    env = {
        "GOVWATCH_SOURCES": str(ROOT / "config" / "sources.yaml"),
        "GOVWATCH_CONFIG": str(workdir / "govwatch.yaml"),
        "GOVWATCH_DATABASE_URL": f"sqlite:///{workdir / 'gw.sqlite3'}",
        **{k: v.replace("{dir}", here) for k, v in case.env.items()},
    }
    options = [arg.replace("{dir}", here) for arg in case.args]
    return env, options, f"govwatch: configuration error: {case.expected.replace('{dir}', here)}"


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[[list[str]], tuple[int, str]]]:
    """``govwatch ARGS`` through its real entry point (``crawler.cli.main``), in this process
    (a process per case would cost seconds each): exit status and stderr. Logging as the
    command sets it up is put back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    loggers = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    monkeypatch.delenv("GOVWATCH_ROUTING", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("GOVWATCH_SOURCES", "")  # restored afterwards even if --config sets it

    def accepted(*_args: object, **_kwargs: object) -> int:
        raise AssertionError("the daemon started: the bad configuration was accepted")

    monkeypatch.setattr(run_module, "serve_until_stopped", accepted)

    def invoke(args: list[str]) -> tuple[int, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["govwatch", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        return int(exited.value.code or 0), capsys.readouterr().err

    yield invoke
    root.handlers[:], root.level = saved
    for name, level in loggers.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_configuration_file_is_one_line_and_exit_2(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[[list[str]], tuple[int, str]],
) -> None:
    env, options, expected = write_case(CASES[name], tmp_path)
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for command in (["run"], ["reload"]):
        code, stderr = cli([*options, *command])
        assert code == 2, f"{command}: {stderr}"
        assert stderr.splitlines() == [stderr.strip()], f"{command}: not one line: {stderr}"
        assert stderr.startswith(expected), stderr
    assert not (tmp_path / "exploited").exists(), "a YAML tag ran a command"


def test_the_installed_command_refuses_an_unknown_topic_for_run_reload_and_crawl(
    tmp_path: Path,
) -> None:
    """The same through ``python -m crawler`` processes: today's main accepted it for run and
    reload, and every crawl then failed."""
    env, _, expected = write_case(CASES["routing: unknown topic (slack.routing_file)"], tmp_path)
    environment = {k: v for k, v in os.environ.items() if k not in {"GOVWATCH_ROUTING"}}
    commands = [["run"], ["reload"], ["crawl", "us_nsf_news"]]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "crawler", *command],
            cwd=tmp_path,
            env={**environment, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    for command, process in zip(commands, processes, strict=True):
        try:
            _, stderr = process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise AssertionError(f"{command}: still running: the file was accepted") from None
        assert (process.returncode, stderr.strip()) == (2, expected), command


@pytest.fixture
def daemon(tmp_path: Path, sqlite_engine: Engine) -> Iterator[DaemonProcess]:
    process = DaemonProcess(tmp_path, str(sqlite_engine.url.render_as_string(False)))
    yield process
    process.kill()


def test_reload_refuses_a_bad_routing_file_and_the_accepted_one_keeps_crawling(
    daemon: DaemonProcess, pages: PageServer, sqlite_engine: Engine
) -> None:
    """On today's main the bad file is read by the next crawl anyway, and every crawl fails."""
    routing = daemon.workdir / "routing.yaml"
    routing.write_text(
        yaml.safe_dump(
            {
                "topics": {"Quantum": {"words": ["quantum"]}},
                "routes": [{"name": "q", "match": {"topics": ["Quantum"]}, "channels": ["#q"]}],
            }
        ),
        encoding="utf-8",
    )
    url = pages.route("/feed.xml", Route(rss([sample(1)]), content_type="application/rss+xml"))
    daemon.write(feed_source("xx_feed", url), app_config(slack={"routing_file": str(routing)}))
    daemon.start()
    wait_until(lambda: finished_runs(sqlite_engine, "xx_feed"), "the first run")

    routing.write_text(routing.read_text(encoding="utf-8").replace("- Quantum", "- Quantom"))
    refused = daemon.command("reload")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"govwatch: configuration error: {routing}:6 routes.0.match.topics: unknown topic "
        '"Quantom" (did you mean "Quantum"?)'
    )
    daemon.send(signal.SIGHUP)  # the daemon checks for itself, too
    wait_until(lambda: "Refused the new configuration" in daemon.log(), "the refusal")
    count = len(finished_runs(sqlite_engine, "xx_feed"))
    later = wait_until(
        lambda: finished_runs(sqlite_engine, "xx_feed")[count:],
        "the accepted configuration to keep crawling",
    )
    assert (later[0].outcome, later[0].error) in {("ok", None), ("not_modified", None)}
    assert daemon.stop() == 0
