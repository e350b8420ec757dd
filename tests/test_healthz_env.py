"""``$GOVWATCH_HEALTHZ_PORT``: the container's /healthz on, whatever the mounted file says."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.app_config import load_app_config
from crawler.errors import ConfigError


def config_file(tmp_path: Path, port: str) -> Path:
    path = tmp_path / "govwatch.yaml"
    path.write_text(f"scheduler:\n  healthz_port: {port}\n", encoding="utf-8")
    return path


def test_the_variable_fills_a_port_the_file_leaves_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVWATCH_HEALTHZ_PORT", "8087")
    assert load_app_config(config_file(tmp_path, "null")).scheduler.healthz_port == 8087
    # (A named govwatch.yaml that does not exist is an error, never defaults: see
    # tests/test_config_refused.py; so the image's own config file is always read.)


def test_a_port_named_in_the_file_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVWATCH_HEALTHZ_PORT", "8087")
    assert load_app_config(config_file(tmp_path, "9001")).scheduler.healthz_port == 9001


def test_without_the_variable_healthz_stays_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVWATCH_HEALTHZ_PORT", raising=False)
    assert load_app_config(config_file(tmp_path, "null")).scheduler.healthz_port is None


@pytest.mark.parametrize("value", ["http", "0", "70000", "-1"])
def test_a_bad_value_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GOVWATCH_HEALTHZ_PORT", value)
    with pytest.raises(ConfigError, match="GOVWATCH_HEALTHZ_PORT"):
        load_app_config(config_file(tmp_path, "null"))
