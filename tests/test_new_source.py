"""``govwatch new-source``: end to end in a copy of the config and a scratch checkout root."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.config_loader import load_sources
from tests.fidelity.test_fixture_provenance import PROVENANCE
from tests.test_cli import ROOT, govwatch


@pytest.fixture
def scratch(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the real sources file and an empty root for tests/ and spiders/."""
    config = tmp_path / "sources.yaml"
    shutil.copyfile(ROOT / "config" / "sources.yaml", config)
    root = tmp_path / "checkout"
    root.mkdir()
    return config, root


def new_source(config: Path, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return govwatch(
        "--config", str(config), "new-source", *args, "--root", str(root), cwd=root.parent
    )


@pytest.mark.parametrize("kind", ["feed", "list_page", "json_api", "spider"])
def test_new_source_writes_a_loading_entry_a_fixture_folder_and_a_failing_test(
    scratch: tuple[Path, Path], kind: str
) -> None:
    config, root = scratch
    before = load_sources(config)
    done = new_source(config, root, "xx_example_press", "--kind", kind)
    assert done.returncode == 0, done.stderr
    sources = load_sources(config)
    assert set(sources) - set(before) == {"xx_example_press"}
    assert sources["xx_example_press"].kind == kind
    assert sources["xx_example_press"].enabled is False  # not scheduled until filled in
    folder = root / "tests" / "fixtures" / "xx_example_press"
    source_md = (folder / "SOURCE.md").read_text(encoding="utf-8")
    assert PROVENANCE.search(source_md)
    assert datetime.now(UTC).date().isoformat() in source_md
    assert "start: true" in (folder / "serve.yaml").read_text(encoding="utf-8")
    assert (root / "spiders" / "xx_example_press.py").exists() == (kind == "spider")
    test_file = root / "tests" / "sources" / "test_xx_example_press.py"
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        timeout=120,
    )
    assert ran.returncode == 1, ran.stdout  # failed, not skipped nor passed
    assert "1 failed" in ran.stdout
    assert "xx_example_press: fill in tests/fixtures/xx_example_press/" in ran.stdout


def test_generated_spider_registers_itself(scratch: tuple[Path, Path]) -> None:
    config, root = scratch
    assert new_source(config, root, "xx_example_press", "--kind", "spider").returncode == 0
    probe = (
        "import importlib.util, sys\n"
        "from spiders.base import SourceSpider\n"
        f"spec = importlib.util.spec_from_file_location('probe', {str(root / 'spiders' / 'xx_example_press.py')!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(SourceSpider.kinds['xx_example_press'].__name__)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert ran.stdout.strip() == "XxExamplePressSpider", ran.stderr


@pytest.mark.parametrize(
    ("source_id", "said"),
    [
        ("jp_mext_news", "already configured"),
        ("MextNews", "is not a source id"),
        ("jp-mext", "is not a source id"),
    ],
)
def test_new_source_refuses_a_taken_or_malformed_id_in_one_line(
    scratch: tuple[Path, Path], source_id: str, said: str
) -> None:
    config, root = scratch
    text = config.read_text(encoding="utf-8")
    done = new_source(config, root, source_id, "--kind", "feed")
    assert done.returncode == 2
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert config.read_text(encoding="utf-8") == text
    assert not (root / "tests").exists()


def test_new_source_refuses_an_unknown_kind(scratch: tuple[Path, Path]) -> None:
    config, root = scratch
    done = new_source(config, root, "xx_example_press", "--kind", "rss")
    assert done.returncode == 2
    assert "unknown kind 'rss'" in done.stderr
