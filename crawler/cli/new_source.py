"""``govwatch new-source ID --kind K``: the files a new source needs, ready to fill in.

Adding a source by hand means touching five places with one id (CONTRIBUTING.md, "Adding a
source"); forgetting one shows up late. This writes them all at once: the config entry
(disabled until it is filled in, and loaded back so a broken file is never left behind),
the fixture folder with its ``SOURCE.md`` and ``serve.yaml``, a spider module for
``--kind spider``, and a test that FAILS until someone writes the real checks.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

from crawler.errors import ConfigError

Kind = Literal["feed", "list_page", "json_api", "spider"]
KINDS: tuple[Kind, ...] = ("feed", "list_page", "json_api", "spider")

_KIND_SECTION = {
    "list_page": (
        "  list:\n"
        '    item: "CHANGE-ME div.row"\n'
        '    title: "a ::text"\n'
        '    link: "a::attr(href)"\n'
        '    date: "time::attr(datetime)"\n'
    ),
    "json_api": (
        "  api:\n    items_path: CHANGE-ME.items\n    id: id\n    title: title\n"
        "    date: date\n    link: url\n"
    ),
}
_START_FILE = {"feed": "feed.xml", "list_page": "page0.html", "json_api": "page0.json"}
_CONTENT_TYPE = {
    "feed": "application/rss+xml; charset=UTF-8",
    "list_page": "text/html; charset=UTF-8",
    "json_api": "application/json",
}


def config_entry(source_id: str, kind: Kind) -> str:
    """The YAML block for a new source: valid, but disabled until its CHANGE-ME are filled."""
    country = source_id.split("_", 1)[0].upper()
    path = "/CHANGE-ME" + (".xml" if kind == "feed" else "")
    return (
        f"\n{source_id}:\n"
        f"  name: CHANGE-ME ({source_id})\n"
        f"  kind: {kind}\n"
        f"  urls: [https://www.example.org{path}]\n"
        "  publisher: CHANGE-ME\n"
        f"  country: {country}\n"
        "  language: en\n"
        "  timezone: UTC\n"
        "  doc_type: news\n"
        "  schedule: {every: 1h, jitter: 5m}\n"
        "  expect: {min_items: 1}\n" + _KIND_SECTION.get(kind, "") + "  enabled: false\n"
        '  notes: "NEW: written by govwatch new-source; fill in every CHANGE-ME, then set '
        'enabled: true."\n'
    )


def source_md(source_id: str, kind: Kind, today: str) -> str:
    return (
        f"# {source_id} — CHANGE-ME (RECONSTRUCTED)\n\n"
        f"**Provenance:** reconstructed placeholder, not a live capture (written {today}). "
        f"Replace it with a real capture: `govwatch check {source_id} --save DIR` "
        "(docs/cli.md), then say here `**Provenance:** real capture …` with the date.\n\n"
        "| file | real URL | serve as |\n|---|---|---|\n"
        f"| `{_START_FILE.get(kind, 'page0.html')}` | CHANGE-ME | 200, CHANGE-ME |\n\n"
        f"Kind: `{kind}`. Say what in each file is real, reconstructed or guessed.\n"
    )


def serve_yaml(kind: Kind) -> str:
    file = _START_FILE.get(kind, "page0.html")
    content_type = _CONTENT_TYPE.get(kind, "text/html; charset=UTF-8")
    return (
        "# Which saved file is served at which path (tests/sourcepack.py); `start: true`\n"
        "# marks the files that stand for the configured URLs, in config order.\n"
        "pages:\n"
        "  - path: /CHANGE-ME\n"
        f"    file: {file}\n"
        f"    content_type: {content_type}\n"
        "    start: true\n"
    )


def spider_module(source_id: str) -> str:
    class_name = "".join(part.capitalize() for part in source_id.split("_")) + "Spider"
    return (
        f'"""{source_id}: CHANGE-ME — say which quirk the config cannot express.\n\n'
        "Subclass the spider of the closest kind (FeedSpider, ListPageSpider or JsonApiSpider)\n"
        "and override only what differs; setting ``name`` registers the class.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        "from spiders.feed import FeedSpider\n\n\n"
        f"class {class_name}(FeedSpider):\n"
        f'    """CHANGE-ME: what this site does differently."""\n\n'
        f'    name = "{source_id}"\n'
    )


def failing_test(source_id: str) -> str:
    return (
        f'"""{source_id}: what a crawl of its saved pages must give (fill this in)."""\n\n'
        "from __future__ import annotations\n\n"
        "import pytest\n\n\n"
        f"def test_{source_id}_is_filled_in() -> None:\n"
        "    pytest.fail(\n"
        f'        "{source_id}: fill in tests/fixtures/{source_id}/ (pages, serve.yaml, "\n'
        f'        "SOURCE.md), its entry in tests/sources/expectations.yaml, then replace "\n'
        '        "this test with checks of the items the crawl gives"\n'
        "    )\n"
    )


def refuse(message: str) -> None:
    print(f"govwatch: {message}", file=sys.stderr)
    raise typer.Exit(2)


def new_source_command(
    source_id: Annotated[str, typer.Argument(metavar="ID", help="e.g. jp_mext_news")],
    kind: Annotated[
        str, typer.Option("--kind", help="feed, list_page, json_api or spider.")
    ] = "feed",
    root: Annotated[
        Path,
        typer.Option(
            "--root",
            help="The checkout where tests/ and spiders/ are written (default: here).",
        ),
    ] = Path(),
) -> None:
    """Start a new source: config entry, fixture folder, spider (kind spider), failing test.

    Example: govwatch new-source jp_cao_press --kind list_page
    """
    # The configuration reader (YAML) and the source models: loaded when the command runs.
    from crawler.config_loader import default_sources_path, load_sources, read_config_text
    from crawler.sources import SOURCE_ID_PATTERN

    if not re.fullmatch(SOURCE_ID_PATTERN, source_id):
        refuse(
            f"{source_id!r} is not a source id: <country>_<publisher>[_<channel>] in lower "
            "snake case, e.g. jp_mext_news"
        )
    if kind not in KINDS:
        refuse(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    chosen: Kind = kind  # type: ignore[assignment]
    config = default_sources_path()
    original = read_config_text(config)
    if source_id in load_sources(config):
        refuse(f"{source_id} is already configured in {config}; ids are never reused")
    targets = {
        root / "tests" / "fixtures" / source_id / "SOURCE.md": source_md(
            source_id, chosen, datetime.now(UTC).date().isoformat()
        ),
        root / "tests" / "fixtures" / source_id / "serve.yaml": serve_yaml(chosen),
        root / "tests" / "sources" / f"test_{source_id}.py": failing_test(source_id),
    }
    if chosen == "spider":
        targets[root / "spiders" / f"{source_id}.py"] = spider_module(source_id)
    if existing := [str(path) for path in targets if path.exists()]:
        refuse(f"{source_id}: {', '.join(existing)} already exist; nothing written")
    separator = "" if original.endswith("\n") else "\n"
    config.write_text(original + separator + config_entry(source_id, chosen), encoding="utf-8")
    try:
        load_sources(config)
    except ConfigError as exc:  # never leave a broken sources file behind
        config.write_text(original, encoding="utf-8")
        refuse(f"the new entry does not load, nothing written: {exc}")
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"{config}: added {source_id} (disabled until its CHANGE-ME are filled in)")
    for path in targets:
        print(f"wrote {path}")
