"""The facts about each watched source, as declared in ``config/sources.yaml``.

These pydantic models are the contract between the YAML file and the spiders: every field a
spider relies on is declared, typed and checked here, with ``extra="forbid"`` so that a
misspelt key stops the load instead of being ignored. Loading (file, line numbers, messages)
lives in :mod:`crawler.config_loader`.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

SOURCE_ID_PATTERN = r"^[a-z]{2,3}_[a-z0-9]+(?:_[a-z0-9]+)*$"
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

SourceKind = Literal["feed", "list_page", "json_api", "spider"]


def parse_duration(text: str | int | float) -> timedelta:
    """Read ``30s``, ``5m``, ``2h`` or ``1d`` (or a number of seconds) as a timedelta."""
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration; write e.g. 30s, 15m, 2h or 1d")
    amount, unit = match.groups()
    return timedelta(**{_DURATION_UNITS[unit]: int(amount)})


class Strict(BaseModel):
    """Base for config models: unknown keys are errors, values are frozen after load."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


CRON_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def crontab_with_day_names(expression: str) -> str:
    """Standard crontab weekdays (0 or 7 = Sunday) as names, which APScheduler reads right.

    APScheduler 3 numbers weekdays from Monday = 0 and rejects 7, so ``0 9 * * 7`` (Sunday
    in every crontab) would be refused and ``0 9 * * 0`` would run on Mondays.
    """
    fields = expression.split()
    if len(fields) == 5:
        fields[4] = re.sub(r"(?<![/\d])\d+", lambda m: CRON_WEEKDAYS[int(m[0]) % 8], fields[4])
    return " ".join(fields)


class Schedule(Strict):
    """When a source is polled: a fixed interval or a cron expression, plus random jitter."""

    every: timedelta | None = None
    cron: str | None = None
    jitter: timedelta = timedelta(0)

    @field_validator("every", "jitter", mode="before")
    @classmethod
    def _read_duration(cls, value: object) -> object:
        if isinstance(value, str | int | float):
            return parse_duration(value)
        return value

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str | None) -> str | None:
        if value is None:
            return value
        # APScheduler is imported only for a source that has a cron schedule: every command
        # reads this module, and most sources poll at an interval (`every:`).
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(crontab_with_day_names(value))
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{value!r} is not a valid cron expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _one_of_every_or_cron(self) -> Schedule:
        if (self.every is None) == (self.cron is None):
            raise ValueError("give exactly one of 'every' (e.g. 30m) or 'cron' (e.g. '0 * * * *')")
        if self.every is not None and self.every < timedelta(seconds=1):
            raise ValueError("'every' must be at least 1s")
        return self

    def describe(self) -> str:
        """Short human form for tables: ``every 30m ±5m`` or ``cron 0 * * * *``."""
        base = f"cron {self.cron}" if self.cron else f"every {_short(self.every)}"
        return f"{base} ±{_short(self.jitter)}" if self.jitter else base


def _short(delta: timedelta | None) -> str:
    seconds = int(delta.total_seconds()) if delta else 0
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class Expect(Strict):
    """What a healthy response looks like; fewer items on a 200 page means the site changed."""

    min_items: int = Field(default=1, ge=1)


class ListSelectors(Strict):
    """Selectors for a list page. CSS by default (parsel: ``::text``, ``::attr(x)``);
    prefix a selector with ``xpath:`` to use XPath. Field selectors are relative to ``item``."""

    item: str
    title: str
    link: str
    date: str | None = None
    summary: str | None = None
    doc_type: str | None = None
    date_order: Literal["DMY", "MDY", "YMD"] | None = None
    next_page: str | None = None


class ApiFields(Strict):
    """Where the fields of one item sit in a JSON API response (dotted paths).

    ``items_path: ""`` means the body itself is the list (WordPress REST). ``date_format``
    says how ``date`` is written: ``text`` (any form :mod:`crawler.dates` reads) or a Unix
    timestamp in seconds or milliseconds (``epoch_s``, ``epoch_ms``), shown in the source's
    time zone. ``date_fallbacks`` are paths tried in order when ``date`` is missing or empty
    (a number there is a Unix timestamp, in milliseconds from 13 digits).
    ``next_page_url`` is the path of the next page's URL in the response (cursor paging:
    the API's own URL is followed, never rebuilt); ``doc_type_style: snake_case`` writes
    the API's type labels as ``proposed_rule``.
    """

    items_path: str
    id: str
    title: str
    date: str
    date_format: Literal["text", "epoch_s", "epoch_ms"] = "text"
    date_fallbacks: list[str] = Field(default_factory=list)
    link: str | None = None
    link_template: str | None = None
    summary: str | None = None
    doc_type: str | None = None
    page_param: str | None = None
    first_page: int = 1
    next_page_url: str | None = None
    doc_type_style: Literal["as_is", "snake_case"] = "as_is"

    @model_validator(mode="after")
    def _one_link_rule(self) -> ApiFields:
        if (self.link is None) == (self.link_template is None):
            raise ValueError("give exactly one of 'link' (a field) or 'link_template'")
        return self


class SourceConfig(Strict):
    """One watched endpoint. The id is the YAML key and is stable once published."""

    id: Annotated[str, Field(pattern=SOURCE_ID_PATTERN)]
    name: str
    kind: SourceKind
    urls: list[HttpUrl] = Field(min_length=1)
    publisher: str
    country: Annotated[str, Field(pattern=r"^[A-Z]{2,3}$")]
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")]
    timezone: str = "UTC"
    doc_type: str = "news"
    schedule: Schedule = Schedule(every=timedelta(hours=1), jitter=timedelta(minutes=5))
    allowed_domains: list[str] = Field(default_factory=list)
    expect: Expect = Expect()
    list_selectors: ListSelectors | None = Field(default=None, alias="list")
    more_list_selectors: list[ListSelectors] = Field(default_factory=list, alias="list_more")
    api: ApiFields | None = None
    spider: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    max_pages: int = Field(default=1, ge=1, le=50)
    concurrency: int | None = Field(default=None, ge=1, le=4)
    enabled: bool = True
    allow_private_network: bool = False
    keep_url_prefixes: list[str] = Field(default_factory=list)
    notes: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _several_templates(cls, data: object) -> object:
        """``list:`` may be one selector set or several (tried in order): a site whose
        sections use different markup, or an older template still served on some pages."""
        if isinstance(data, dict) and isinstance(data.get("list"), list):
            templates = list(data["list"])
            if not templates:
                raise ValueError("'list' needs at least one selector set")
            data = {**data, "list": templates[0], "list_more": templates[1:]}
        return data

    @property
    def list_templates(self) -> list[ListSelectors]:
        """Every selector set of a list page, in the order they are tried."""
        first = [self.list_selectors] if self.list_selectors is not None else []
        return first + list(self.more_list_selectors)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Tokyo)") from exc
        return value

    @model_validator(mode="after")
    def _kind_needs(self) -> SourceConfig:
        needs = {"list_page": ("list", self.list_selectors), "json_api": ("api", self.api)}
        if self.kind in needs and needs[self.kind][1] is None:
            raise ValueError(f"kind {self.kind} needs a '{needs[self.kind][0]}' section")
        if not self.allowed_domains:
            hosts = sorted({urlsplit(str(url)).hostname or "" for url in self.urls})
            object.__setattr__(self, "allowed_domains", hosts)
        return self

    @field_validator("keep_url_prefixes")
    @classmethod
    def _absolute_prefixes(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if urlsplit(prefix).scheme not in {"http", "https"}:
                raise ValueError(f"{prefix!r} is not an absolute http(s) URL prefix")
        return value

    def keeps(self, url: str) -> bool:
        """Whether an item at ``url`` belongs to this source: a feed shared by a whole
        ministry is narrowed to one bureau with ``keep_url_prefixes`` (none = keep all)."""
        return not self.keep_url_prefixes or url.startswith(tuple(self.keep_url_prefixes))

    @property
    def spider_name(self) -> str:
        """The Scrapy spider that reads this source: its own module, or a generic one."""
        if self.kind == "spider":
            return self.spider or self.id
        return {"feed": "feed", "list_page": "list_page", "json_api": "json_api"}[self.kind]

    def with_urls(self, urls: list[str]) -> SourceConfig:
        """A copy reading other URLs (``check --url``, the demo): their hosts become allowed."""
        hosts = {urlsplit(url).hostname or "" for url in urls}
        data = self.model_dump(by_alias=True)
        data["urls"] = urls
        data["allowed_domains"] = sorted(set(self.allowed_domains) | hosts)
        data["allow_private_network"] = self.allow_private_network or _any_private(hosts)
        return SourceConfig.model_validate(data)


def _any_private(hosts: set[str]) -> bool:
    """A URL the user typed on purpose may point at their own machine (tests, the demo)."""
    return any(is_private_host(host) for host in hosts)


def is_private_host(host: str) -> bool:
    """True for ``localhost`` and loopback, private or link-local IP literals."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local
