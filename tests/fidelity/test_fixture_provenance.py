"""Every saved fixture says whether it is a real capture or reconstructed, and when."""

from __future__ import annotations

import re

from tests.servers.pages import FIXTURES

PROVENANCE = re.compile(
    r"^\*\*Provenance:\*\* (real capture|reconstructed)\b.*\b20\d\d-\d\d-\d\d\b", re.MULTILINE
)


def test_every_fixture_says_real_or_reconstructed_and_when() -> None:
    folders = sorted(path for path in FIXTURES.iterdir() if path.is_dir())
    assert len(folders) >= 20
    unsaid = [
        folder.name
        for folder in folders
        if not PROVENANCE.search((folder / "SOURCE.md").read_text(encoding="utf-8"))
    ]
    assert unsaid == []
