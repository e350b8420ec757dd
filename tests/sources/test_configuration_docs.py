"""docs/configuration.md: its YAML examples load with the real loaders, and it names every
field of sources.yaml and govwatch.yaml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from crawler.app_config import AppConfig
from crawler.config_loader import parse_sources
from crawler.sources import ApiFields, Expect, ListSelectors, Schedule, SourceConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", TEXT, re.DOTALL)
SOURCE_BLOCKS = [block for block in BLOCKS if block.startswith("# sources.yaml")]
APP_BLOCKS = [block for block in BLOCKS if block.startswith("# govwatch.yaml")]


@pytest.mark.parametrize("block", SOURCE_BLOCKS)
def test_sources_examples_load_with_the_real_loader(block: str) -> None:
    sources = parse_sources(block, DOC)
    assert sources
    for source in sources.values():
        assert source.id in block


def test_there_is_an_example_of_every_kind() -> None:
    kinds = {
        source.kind for block in SOURCE_BLOCKS for source in parse_sources(block, DOC).values()
    }
    assert kinds == {"feed", "list_page", "json_api", "spider"}


@pytest.mark.parametrize("block", APP_BLOCKS)
def test_govwatch_examples_load(block: str) -> None:
    AppConfig.model_validate(yaml.safe_load(block))


def _fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        nested: Any = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            names += _fields(nested, f"{prefix}{name}.")
        else:
            names.append(f"{prefix}{name}")
    return names


@pytest.mark.parametrize(
    "name",
    [
        *(f.alias or n for n, f in SourceConfig.model_fields.items() if n != "id"),
        *ListSelectors.model_fields,
        *ApiFields.model_fields,
        *Schedule.model_fields,
        *Expect.model_fields,
        *_fields(AppConfig),
    ],
)
def test_every_field_is_documented(name: str) -> None:
    assert f"| `{name}` |" in TEXT
