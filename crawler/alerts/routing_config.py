"""Read ``config/routing.yaml``: topic keyword rules and the routes from publications to channels.

The file is data an analyst edits, so a mistake must say where it is, like sources.yaml:
``config/routing.yaml:14 routes.2.match.topics: unknown topic "Quantom" (did you mean
"Quantum"?)``. The YAML is composed into nodes (which know their lines) and validated by
pydantic; each error is mapped back to its line with the loader's ``index_lines``.
The default and ops channels stay in ``govwatch.yaml`` (``slack:``), next to the token
settings, so there is one place that says where Slack alerts go when no rule matches.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator, model_validator

from crawler.config_loader import (
    DEFAULT_CONFIG_DIR,
    Lines,
    is_bundled_default,
    load_yaml_model,
    nearest_line,
)
from crawler.errors import ConfigError
from crawler.sources import Strict

if TYPE_CHECKING:  # app_config reads this module to check the routing file it names
    from crawler.app_config import AppConfig


def _as_list(value: object) -> object:
    """``country: JP`` reads as ``country: [JP]``: one value is a list of one."""
    return [value] if isinstance(value, str) else value


class TopicRule(Strict):
    """Keywords that put a publication under a topic, matched against title and summary.

    ``words`` are literal: Latin-script words match whole words (``chip*`` also matches
    ``chips``), all-capital acronyms of up to four letters match case-sensitively (``AI`` is
    not ``ai``), and CJK / Hangul words match anywhere (those scripts do not separate words
    with spaces). ``patterns`` are regular expressions, matched case-insensitively.
    """

    words: dict[str, list[str]] | list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a regular expression: {exc}") from exc
        return patterns

    @model_validator(mode="after")
    def _has_keywords(self) -> TopicRule:
        if not self.all_words() and not self.patterns:
            raise ValueError("a topic needs at least one entry in words or patterns")
        return self

    def all_words(self) -> list[str]:
        if isinstance(self.words, dict):
            return [word for words in self.words.values() for word in words]
        return list(self.words)


class RouteMatch(Strict):
    """Every field given must match (AND); within a field any listed value will do (OR).

    ``source`` takes ids or globs (``jp_*``); ``publisher`` matches a part of the name;
    the others compare whole values, case-insensitively. An empty match takes everything.
    """

    source: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    publisher: list[str] = Field(default_factory=list)
    doc_type: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)

    _one_as_list = field_validator("*", mode="before")(classmethod(lambda cls, v: _as_list(v)))


class RouteRule(Strict):
    name: str
    match: RouteMatch = RouteMatch()
    channels: list[str] = Field(min_length=1)

    _one_as_list = field_validator("channels", mode="before")(
        classmethod(lambda cls, v: _as_list(v))
    )


class RoutingConfig(Strict):
    topics: dict[str, TopicRule] = Field(default_factory=dict)
    routes: list[RouteRule] = Field(default_factory=list)
    # Apprise channels: name → one Apprise URL (mailtos://…, json://…, discord://…);
    # ``${VAR}`` in a URL is read from the environment when alerts go out, so secrets can
    # stay out of the file. Routes name them as ``apprise:<name>``.
    apprise: dict[str, str] = Field(default_factory=dict)

    def channels(self) -> list[str]:
        """Every channel some route names, in the order the file names them."""
        seen: dict[str, None] = {}
        for route in self.routes:
            seen.update(dict.fromkeys(route.channels))
        return list(seen)


def default_routing_path(config: AppConfig) -> Path:
    """``$GOVWATCH_ROUTING``, else ``slack.routing_file``, else ``./config/routing.yaml``,
    else the bundled file."""
    if env := os.environ.get("GOVWATCH_ROUTING"):
        return Path(env)
    if config.slack.routing_file is not None:
        return config.slack.routing_file
    local = Path.cwd() / "config" / "routing.yaml"
    return local if local.is_file() else DEFAULT_CONFIG_DIR / "routing.yaml"


_held: dict[Path, RoutingConfig] = {}


def load_routing(path: Path) -> RoutingConfig:
    """The rules the daemon accepted for ``path`` (see :func:`hold_routing`), else the file
    as it is now (:func:`read_routing`)."""
    held = _held.get(path.resolve())
    return held if held is not None else read_routing(path)


def hold_routing(path: Path, routing: RoutingConfig) -> None:
    """Use ``routing`` for ``path`` in this process until the next accepted reload."""
    _held.clear()
    _held[path.resolve()] = routing


def read_routing(path: Path) -> RoutingConfig:
    """The routing rules in ``path`` (re-read only when the file changes). A missing file is
    an error, except the bundled one (then there are no rules)."""
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        if is_bundled_default(path):
            return RoutingConfig()
        stamp = 0  # load_yaml_model says "no such file", naming the variable if one did
    return _load_routing(path, stamp)


@functools.lru_cache(maxsize=8)
def _load_routing(path: Path, _stamp: int) -> RoutingConfig:
    routing, lines = load_yaml_model(path, RoutingConfig)
    problems = _unknown_topics(routing, lines, path) + _unknown_apprise(routing, lines, path)
    if problems:
        raise ConfigError("\n".join(problems))
    return routing


def _unknown_apprise(routing: RoutingConfig, lines: Lines, path: Path) -> list[str]:
    """A route to ``apprise:NAME`` with no URL for NAME would fail every alert: say so."""
    problems = []
    for index, route in enumerate(routing.routes):
        for position, channel in enumerate(route.channels):
            name = channel.removeprefix("apprise:")
            if channel.startswith("apprise:") and name not in routing.apprise:
                loc = ("routes", str(index), "channels", str(position))
                known = ", ".join(sorted(routing.apprise)) or "none"
                problems.append(
                    f"{path}:{nearest_line(lines, loc)} {'.'.join(loc[:-1])}: "
                    f'no Apprise channel "{name}" under apprise: (known: {known})'
                )
    return problems


def _unknown_topics(routing: RoutingConfig, lines: Lines, path: Path) -> list[str]:
    """A route naming a topic no rule defines would silently never match: say so."""
    known = {name.casefold(): name for name in routing.topics}
    problems = []
    for index, route in enumerate(routing.routes):
        for position, topic in enumerate(route.match.topics):
            if topic.casefold() in known:
                continue
            loc = ("routes", str(index), "match", "topics", str(position))
            close = difflib.get_close_matches(topic, list(routing.topics), n=1, cutoff=0.5)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.append(
                f"{path}:{nearest_line(lines, loc)} {'.'.join(loc[:-1])}: "
                f'unknown topic "{topic}"{hint}'
            )
    return problems
