"""``govwatch docs sources`` where the tests folder is absent (an installed wheel)."""

from __future__ import annotations

from pathlib import Path

from crawler.config_loader import load_sources
from tests.test_cli import ROOT, govwatch


def test_docs_sources_renders_without_the_tests_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "install"  # a root with no tests/ and no docs/, as a wheel has
    elsewhere.mkdir()
    done = govwatch("docs", "sources", cwd=tmp_path, env={"GOVWATCH_CHECKOUT_ROOT": str(elsewhere)})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    said = [line for line in done.stderr.splitlines() if "not measured" in line]
    assert len(said) == 1
    text = (tmp_path / "sources.md").read_text(encoding="utf-8")
    assert "generated from the configuration alone (not measured: " in text
    assert "| source | country | publisher | kind | endpoint | known limits |" in text
    assert "fields extracted" not in text.split("## Coverage", 1)[1]
    assert "Extraction quality" not in text
    for source_id in load_sources(ROOT / "config" / "sources.yaml"):
        assert f"| {source_id}" in text
    assert not (ROOT / "sources.md").exists()
