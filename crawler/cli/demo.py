"""``govwatch demo``: the newcomer's first run, fully offline."""

from __future__ import annotations

import typer

from crawler.cli.context import configured_sources, stdout


def demo_command() -> None:
    """Crawl a local imitation of five government sites twice and show the alerts.

    Example: govwatch demo
    """
    from crawler.demo.run import run_demo  # the crawl engine: loaded only when it runs

    shown = run_demo(configured_sources(), stdout)
    if shown == 0:
        stdout.print("[red]The demo showed no alerts: something is wrong.[/]")
        raise typer.Exit(1)
