"""Settings of the govwatch service itself, from ``config/govwatch.yaml``.

Sources live in ``sources.yaml``; this file holds how the service behaves: log level,
source-health thresholds, the scheduler, and alert delivery. Secrets never live here: the
Slack token comes from ``$SLACK_BOT_TOKEN`` or a file named here, the database URL from
``$GOVWATCH_DATABASE_URL``. Errors name the file, the line and the field, like sources.yaml.

The routing rules (``routing.yaml``, named by ``slack.routing_file`` or ``$GOVWATCH_ROUTING``)
are part of the service configuration: :func:`read_app_config` refuses a govwatch.yaml whose
routing file is missing or invalid, so every command (``crawl``, ``run``, ``reload`` …)
refuses it at the door instead of every crawl failing later.

The daemon reads both files fresh at start and on reload, and *holds* what it accepted
(:func:`hold_app_config`): crawls then use the accepted configuration through
:func:`load_app_config` and :func:`~crawler.alerts.routing_config.load_routing`, so a file
edited on disk, valid or not, changes nothing until a reload accepts it.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from pydantic import Field, PrivateAttr, field_validator

from crawler.alerts.routing_config import (
    RoutingConfig,
    default_routing_path,
    hold_routing,
    read_routing,
)
from crawler.config_loader import (
    DEFAULT_CONFIG_DIR,
    Lines,
    is_bundled_default,
    load_yaml_model,
    nearest_line,
)
from crawler.errors import ConfigError
from crawler.sources import Strict, parse_duration
from storage.retention import RetentionPolicy


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
    # How often the lease is refreshed and the lock's connection checked; while the
    # database is unreachable, reconnecting is tried this often (at most every 5s).
    heartbeat_every: timedelta = timedelta(seconds=15)
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
    # Delivery tuning (crawler/alerts/outbox.py, sinks/slack.py); docs/alerts.md explains each.
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


class RetentionSettings(Durations):
    """How long old rows are kept (storage/retention.py; ``govwatch db prune``).

    Publications, and alerts not yet delivered, are never pruned.
    """

    crawl_runs: timedelta = timedelta(days=90)
    delivered_alerts: timedelta = timedelta(days=30)
    url_validators: timedelta = timedelta(days=30)
    every: timedelta | None = timedelta(days=1)  # how often `govwatch run` prunes; null: never

    def policy(self) -> RetentionPolicy:
        return RetentionPolicy(self.crawl_runs, self.delivered_alerts, self.url_validators)


class WebSection(Strict):
    """``govwatch run`` also serves the web app (docs/web.md) when ``enabled``."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    password_hash_file: Path | None = None
    base_url: str | None = None  # e.g. https://govwatch.example.org: links in messages


DIGEST_SINKS = ("apprise", "console", "slack")  # the sinks a published digest can go to


class DigestSettings(Strict):
    """The weekly digest for editors (docs/digest.md): when ``govwatch run`` builds it, in
    which time zone its weeks run, where it is announced and published."""

    schedule: bool = False  # build weekly in `govwatch run`
    day: str = Field(default="mon", pattern=r"^(mon|tue|wed|thu|fri|sat|sun)$")
    time: str = Field(default="09:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    timezone: str = "UTC"
    channel: str | None = None  # where a published digest is posted, e.g. "#digest"
    # Other destinations a published digest goes to, as routes name them: "apprise:editors"
    # (e-mail, Teams … the whole digest as one HTML message), "slack:#other" (one message
    # per country section, as ``channel``), "console".
    publish_to: list[str] = Field(default_factory=list)
    editors_channel: str | None = None  # where a new draft is announced
    output_dir: Path = Path("var/digests")  # published HTML and Markdown files
    fetch_detail_pages: bool = True  # fetch main text for items without a usable summary

    @field_validator("publish_to")
    @classmethod
    def _destinations(cls, value: list[str]) -> list[str]:
        for destination in value:
            name, _, target = destination.partition(":")
            if name not in DIGEST_SINKS or (name != "console" and not target):
                raise ValueError(
                    f"{destination!r} is not a destination like apprise:editors, "
                    "slack:#digest or console"
                )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from exc
        return value


class AppConfig(Strict):
    log_level: str = "INFO"
    health: HealthSettings = HealthSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    slack: SlackSettings = SlackSettings()
    retention: RetentionSettings = RetentionSettings()
    web: WebSection = WebSection()
    digest: DigestSettings = DigestSettings()
    # The routing rules checked with this configuration (set by read_app_config).
    _routing: RoutingConfig | None = PrivateAttr(default=None)


_held: dict[Path, AppConfig] = {}


def default_app_config_path() -> Path:
    """``$GOVWATCH_CONFIG``, else ``./config/govwatch.yaml``, else the bundled file."""
    if env := os.environ.get("GOVWATCH_CONFIG"):
        return Path(env)
    local = Path.cwd() / "config" / "govwatch.yaml"
    return local if local.is_file() else DEFAULT_CONFIG_DIR / "govwatch.yaml"


def load_app_config(path: Path | None = None) -> AppConfig:
    """The service settings: the ones the daemon accepted for this file, else read now."""
    path = path or default_app_config_path()
    held = _held.get(path.resolve())
    return held if held is not None else read_app_config(path)


def read_app_config(path: Path | None = None) -> AppConfig:
    """Read and check govwatch.yaml and its routing file now; :class:`ConfigError` if either
    is invalid, or was named (``$GOVWATCH_CONFIG``, ``slack.routing_file``,
    ``$GOVWATCH_ROUTING``) and does not exist. Only the bundled file may be absent
    (defaults apply)."""
    path = path or default_app_config_path()
    lines: Lines = {}
    if not path.exists() and is_bundled_default(path):
        config = AppConfig()
    else:
        config, lines = load_yaml_model(path, AppConfig)
    _check_named_files(config, lines, path)
    config._routing = read_routing(default_routing_path(config))
    return with_healthz_from_env(config)


def hold_app_config(path: Path, config: AppConfig) -> None:
    """From now on this process uses ``config`` (and the routing rules read with it) for
    ``path``, whatever the files on disk say, until the next call: the daemon calls this
    once a configuration is accepted, at start and on each successful reload."""
    _held.clear()
    _held[path.resolve()] = config
    if config._routing is not None:
        hold_routing(default_routing_path(config), config._routing)


def _check_named_files(config: AppConfig, lines: Lines, path: Path) -> None:
    """Files govwatch.yaml names must exist: a typo must not mean "no rules, no token"."""
    slack = config.slack
    named = {
        "routing_file": None if os.environ.get("GOVWATCH_ROUTING") else slack.routing_file,
        "token_file": None if os.environ.get(slack.token_env) else slack.token_file,
    }
    problems = [
        f"{path}:{nearest_line(lines, ('slack', field))} slack.{field}: no such file {named_path}"
        for field, named_path in named.items()
        if named_path is not None and not named_path.is_file()
    ]
    if problems:
        raise ConfigError("\n".join(problems))


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
