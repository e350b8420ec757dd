"""docs/sources.md is generated (``govwatch docs sources``); CI fails when it is stale."""

from __future__ import annotations

from typer.testing import CliRunner

from crawler.cli import app
from crawler.cli.docs import SOURCES_DOC, render_sources_doc
from tests.sourcepack import configured_sources


def test_docs_sources_is_current() -> None:
    result = CliRunner().invoke(app, ["docs", "sources", "--check"])
    assert result.exit_code == 0, (
        f"{result.output}\ndocs/sources.md is stale: run `govwatch docs sources` and commit it"
    )


def test_the_coverage_table_has_a_row_per_configured_source() -> None:
    text = SOURCES_DOC.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for source_id, source in configured_sources().items():
        name = source_id if source.enabled else f"{source_id} (disabled)"
        assert any(row.startswith(f"| {name} | {source.country} |") for row in rows), source_id
        assert any(row.startswith(f"| {source_id} | ") and "%" in row for row in rows), source_id


def test_a_changed_note_makes_the_docs_stale() -> None:
    sources = dict(configured_sources())
    changed = sources["us_rand"].model_copy(update={"notes": "A different note."})
    text = render_sources_doc({**sources, "us_rand": changed})
    assert text != SOURCES_DOC.read_text(encoding="utf-8")
    assert "A different note." in text
