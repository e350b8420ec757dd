"""Settings of the govwatch service itself, from ``config/govwatch.yaml``.

Sources live in ``sources.yaml``; this file holds how the service behaves: log level,
source-health thresholds, the scheduler, and alert delivery. Secrets never live here: the
Slack token comes from ``$SLACK_BOT_TOKEN`` or a file named here, the database URL from
``$GOVWATCH_DATABASE_URL``. Errors name the file, the line and the field, like sources.yaml.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from pydantic import Field, field_validator

from crawler.config_loader import DEFAULT_CONFIG_DIR, load_yaml_model
from crawler.errors import ConfigError
from crawler.sources import Strict, parse_duration


class Durations(Strict):
    """Base for sections whose timedelta fields accept ``30s`` / ``5m`` / ``2h`` / ``1d``."""

    @field_validator("*", mode="before")
    @classmethod
    def _read_durations(cls, value: object, info: object) -> object:
        name = getattr(info, "field_name", "")
        field = cls.model_fields.get(name)
        is_duration = field is not None and field.annotation in (timedelta, timedelta | None)
        if is_duration and isinstance(value, str | int | float):
            return parse_duration(value)
        return value


class HealthSettings(Durations):
    """When a source counts as failing, broken or stale (see crawler/health.py)."""

    failing_after: int = Field(default=3, ge=1, description="consecutive failed runs")
    broken_after: int = Field(default=10, ge=2, description="consecutive failed runs")
    stale_factor: float = Field(default=4.0, gt=1, description="× the source's usual gap")
    stale_minimum: timedelta = timedelta(days=2)
    max_backoff_factor: int = Field(default=8, ge=1, description="slowest polling when failing")


class SchedulerSettings(Durations):
    """How ``govwatch run`` schedules crawls and shuts down."""

    misfire_grace: timedelta = timedelta(minutes=5)
    shutdown_timeout: timedelta = timedelta(seconds=60)
    dispatch_every: timedelta = timedelta(seconds=10)
    max_concurrent_crawls: int = Field(default=8, ge=1, description="sources crawled at once")
    healthz_port: int | None = Field(default=None, ge=1, le=65535)
    healthz_host: str = "127.0.0.1"
    startup_spread: timedelta = timedelta(minutes=2)  # overdue sources start within this
    batch_window: timedelta = timedelta(seconds=1)  # sources due this close share one crawl
    crawl_settings: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Scrapy setting overrides for scheduled crawls"
    )


class SlackSettings(Durations):
    """Slack delivery; inactive until a token is found (env var or file)."""

    token_env: str = "SLACK_BOT_TOKEN"  # noqa: S105 - the variable's name, not a secret
    token_file: Path | None = None
    base_url: str | None = None
    default_channel: str | None = None
    ops_channel: str | None = None
    per_channel_interval: timedelta = timedelta(seconds=1)
    burst_threshold: int = Field(default=10, ge=2)
    # Delivery tuning (crawler/alerts/slack.py, slack_outbox.py); docs/alerts.md explains each.
    routing_file: Path | None = None
    http_timeout: int = Field(default=30, ge=1, description="seconds per Slack API call")
    http_retries: int = Field(default=2, ge=0, description="SDK retries per 429 / 5xx / network")
    http_backoff: float = Field(default=0.5, ge=0, description="SDK backoff factor, seconds")
    retry_backoff: timedelta = timedelta(seconds=30)
    max_retry_backoff: timedelta = timedelta(minutes=5)
    claim_timeout: timedelta = timedelta(minutes=5)
    history_pages: int = Field(default=5, ge=1, description="pages of 200 read per check")
    burst_listed: int = Field(default=10, ge=1, le=40, description="titles in a summary")

    def token(self) -> str | None:
        """The bot token, from the environment or the token file; never logged."""
        if value := os.environ.get(self.token_env):
            return value.strip()
        if self.token_file is not None:
            try:
                return self.token_file.read_text(encoding="utf-8").strip() or None
            except OSError as exc:
                raise ConfigError(
                    f"slack.token_file {self.token_file}: cannot read it ({exc.strerror})"
                ) from exc
        return None


class AppConfig(Strict):
    log_level: str = "INFO"
    health: HealthSettings = HealthSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    slack: SlackSettings = SlackSettings()


def default_app_config_path() -> Path:
    """``$GOVWATCH_CONFIG``, else ``./config/govwatch.yaml``, else the bundled file."""
    if env := os.environ.get("GOVWATCH_CONFIG"):
        return Path(env)
    local = Path.cwd() / "config" / "govwatch.yaml"
    return local if local.is_file() else DEFAULT_CONFIG_DIR / "govwatch.yaml"


def load_app_config(path: Path | None = None) -> AppConfig:
    """Load the service settings; a missing file means all defaults."""
    path = path or default_app_config_path()
    config = load_yaml_model(path, AppConfig)[0] if path.is_file() else AppConfig()
    return with_healthz_from_env(config)


def with_healthz_from_env(config: AppConfig) -> AppConfig:
    """``$GOVWATCH_HEALTHZ_PORT`` turns ``/healthz`` on where the file leaves the port unset.

    The container image sets it, so its HEALTHCHECK works with a mounted config directory
    whose govwatch.yaml says ``healthz_port: null``; a port named in the file wins.
    """
    value = os.environ.get("GOVWATCH_HEALTHZ_PORT", "").strip()
    if not value or config.scheduler.healthz_port is not None:
        return config
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ConfigError(f"$GOVWATCH_HEALTHZ_PORT={value!r}: expected a port number 1-65535")
    scheduler = config.scheduler.model_copy(update={"healthz_port": int(value)})
    return config.model_copy(update={"scheduler": scheduler})
