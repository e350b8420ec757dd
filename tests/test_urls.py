"""Canonical URLs: the cases are data (cases/urls.yaml); rejections are asserted here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.urls import canonicalize_url

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "cases" / "urls.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=[case["input"] for case in CASES])
def test_canonical_form(case: dict[str, Any]) -> None:
    assert canonicalize_url(case["input"], case.get("base")) == case["expected"]


@pytest.mark.parametrize("case", CASES, ids=[case["input"] for case in CASES])
def test_canonical_form_is_stable(case: dict[str, Any]) -> None:
    once = canonicalize_url(case["input"], case.get("base"))
    assert canonicalize_url(once) == once


@pytest.mark.parametrize("url", ["javascript:void(0)", "mailto:a@b.gov", "/relative/only", ""])
def test_rejects_what_is_not_an_absolute_http_url(url: str) -> None:
    with pytest.raises(ValueError, match="not an absolute http"):
        canonicalize_url(url)
