"""Docs are tested: every environment variable and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from crawler.cli import app
from crawler.logs import redact

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("crawler", "spiders", "storage")


def _docs_text() -> str:
    parts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(path.read_text(encoding="utf-8") for path in parts)


def test_every_environment_variable_is_documented() -> None:
    names: set[str] = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"\bGOVWATCH_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    assert names, "the scan found no variables at all"
    missing = sorted(name for name in names if name not in _docs_text())
    assert missing == []


def test_every_command_is_in_the_cli_reference() -> None:
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_group(app)
    commands = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        if subcommands:
            commands += [f"govwatch {name} {sub}" for sub in subcommands]
        else:
            commands.append(f"govwatch {name}")
    missing = [command for command in commands if command not in reference]
    assert missing == []


def test_every_command_has_help_and_an_example() -> None:
    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        for sub in (getattr(command, "commands", None) or {name: command}).values():
            assert sub.help, f"{name} {sub.name} has no help"
            assert "Example:" in sub.help, f"{name} {sub.name} has no example"


def test_secrets_are_redacted() -> None:
    line = "posting with xoxb-1234-5678-abcdEFGH to postgresql+psycopg://gw:s3cret@db/gw"
    assert redact(line) == "posting with xoxb-*** to postgresql+psycopg://gw:***@db/gw"
