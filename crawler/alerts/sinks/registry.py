"""Sinks register themselves by name; the destination string picks the sink.

``console`` → the sink named ``console``; ``slack:#policy`` → ``slack`` with target
``#policy``; ``apprise:security-mail`` → ``apprise`` with target ``security-mail``. A sink
module calls :func:`register` at import with a factory that builds it from the
configuration, or returns ``None`` when the configuration does not enable it (no Slack
token, no Apprise channel): rows for a disabled sink simply wait in the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from crawler.alerts.sinks.base import Sink
from crawler.app_config import AppConfig
from crawler.errors import GovwatchError

logger = logging.getLogger(__name__)
SinkFactory = Callable[[AppConfig], Sink | None]

_FACTORIES: dict[str, tuple[int, SinkFactory]] = {}


def register(name: str, order: int = 50) -> Callable[[SinkFactory], SinkFactory]:
    """Decorate a factory: ``@register("slack", order=10) def build(config) -> Sink | None``.

    Sinks are served in ``order``: a sink whose failures are reported on another (Slack's
    outage notice goes to the console) must come before it, so the notice shows in the
    same pass.
    """

    def add(factory: SinkFactory) -> SinkFactory:
        _FACTORIES[name] = (order, factory)
        return factory

    return add


def registered() -> list[str]:
    """The sink names known, in the order they are served."""
    return [name for name, _ in sorted(_FACTORIES.items(), key=lambda kv: kv[1][0])]


def split_destination(destination: str) -> tuple[str, str]:
    """``slack:#policy`` → (``slack``, ``#policy``); ``console`` → (``console``, ``""``)."""
    name, _, target = destination.partition(":")
    return name, target


def enabled_sinks(config: AppConfig, overrides: dict[str, Sink] | None = None) -> list[Sink]:
    """The sinks this configuration enables, in the order they are served; ``overrides`` replaces
    a sink by name (tests and the CLI hand in a console writing to their own stream)."""
    sinks: list[Sink] = []
    for name in registered():
        sink = (overrides or {}).get(name) or _build(name, config)
        if sink is not None:
            sinks.append(sink)
    return sinks


def _build(name: str, config: AppConfig) -> Sink | None:
    """A sink whose configuration cannot be read (a broken routing file) is left out of this
    pass with one line; its rows wait in the outbox and the other sinks still deliver."""
    try:
        return _FACTORIES[name][1](config)
    except GovwatchError as exc:
        logger.error("Alerts to %s wait: %s", name, " ".join(str(exc).split())[:500])
        return None
