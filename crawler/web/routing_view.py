"""Which routes a stored publication matches under today's ``config/routing.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.alerts.routing import RoutedFields, decide
from crawler.alerts.routing_config import default_routing_path, load_routing
from crawler.app_config import load_app_config
from crawler.errors import GovwatchError
from storage.models import Publication


@dataclass(frozen=True)
class RoutesView:
    """Matched routes (name, channels, reasons), misses, or why routing could not be read."""

    matched: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    not_matched: list[tuple[str, str]] = field(default_factory=list)
    used_default: bool = False
    problem: str | None = None


def routes_for(publication: Publication) -> RoutesView:
    """The routing decision for ``publication``; a broken config becomes a one-line problem."""
    try:
        config = load_app_config()
        routing = load_routing(default_routing_path(config))
    except GovwatchError as exc:
        return RoutesView(problem=str(exc).splitlines()[0])
    decision = decide(routing, RoutedFields.of(publication), config.slack.default_channel)
    return RoutesView(
        matched=[(hit.route, list(hit.channels), list(hit.because)) for hit in decision.hits],
        not_matched=list(decision.misses),
        used_default=decision.used_default,
    )
