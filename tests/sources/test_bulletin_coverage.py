"""Seed coverage: every publisher the bulletin cites has an enabled source, and the
generated docs/sources.md says so (config/bulletin.yaml, crawler/bulletin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.bulletin import load_bulletin, render_coverage, watching
from crawler.cli.docs import SOURCES_DOC, bulletin_path
from crawler.errors import ConfigError
from tests.sourcepack import configured_sources


def test_the_bulletins_22_publishers_each_have_an_enabled_source() -> None:
    sources = configured_sources()
    bulletin = load_bulletin(bulletin_path(), sources)
    assert len(bulletin.publishers) == 22
    uncovered = [entry.publisher for entry in bulletin.publishers if not watching(entry, sources)]
    assert uncovered == []
    assert "**22/22** have an enabled source" in SOURCES_DOC.read_text(encoding="utf-8")


def test_the_last_three_publishers_are_watched_by_the_new_sources() -> None:
    sources = configured_sources()
    by_source = {
        sid: entry.publisher
        for entry in load_bulletin(bulletin_path(), sources).publishers
        for sid in watching(entry, sources)
    }
    assert {"int_epo_press", "in_indiaai_articles", "cn_chisa_talents"} <= set(by_source)
    assert "int_epo_news" not in by_source  # configured, but disabled


def test_a_publisher_left_without_an_enabled_source_shows_in_the_table() -> None:
    sources = dict(configured_sources())
    sources["cn_chisa_talents"] = sources["cn_chisa_talents"].model_copy(update={"enabled": False})
    text = render_coverage(load_bulletin(bulletin_path(), sources), sources)
    assert "**21/22** have an enabled source" in text
    assert (
        "| 神州学人 (chisa.edu.cn) — talent news | CN | **none** | cn_chisa_talents (disabled) |"
        in text
    )


def test_a_publisher_list_naming_an_unknown_source_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bulletin.yaml"
    path.write_text(
        "publishers:\n  - {publisher: EPO, country: INT, sources: [int_epo_pres]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="not configured: int_epo_pres"):
        load_bulletin(path, configured_sources())
