"""Decide which Slack channels a publication goes to, and keep the reasons.

Each route in ``config/routing.yaml`` is tried in order; every route that matches adds its
channels, and a channel named by several routes is used once. When no route matches, the
default channel takes the publication, so nothing falls through silently. The same
decision, with its reasons, is what ``govwatch routes explain`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from crawler.alerts.routing_config import RouteMatch, RoutingConfig
from crawler.items import PublicationItem
from storage.models import Publication


@dataclass(frozen=True)
class RoutedFields:
    """The facts routes look at, from a crawled item or a stored publication."""

    source_id: str
    country: str | None
    publisher: str | None
    doc_type: str | None
    language: str | None
    topics: tuple[str, ...]

    @classmethod
    def of(cls, publication: PublicationItem | Publication) -> RoutedFields:
        return cls(
            source_id=publication.source_id,
            country=publication.country,
            publisher=publication.publisher,
            doc_type=publication.doc_type,
            language=publication.language,
            topics=tuple(publication.topics),
        )


@dataclass(frozen=True)
class RouteHit:
    """A route that matched: its name, its channels, and the facts that made it match."""

    route: str
    channels: list[str]
    because: list[str]


@dataclass
class RouteDecision:
    channels: list[str] = field(default_factory=list)
    hits: list[RouteHit] = field(default_factory=list)
    misses: list[tuple[str, str]] = field(default_factory=list)
    used_default: bool = False


def _same(a: str | None, b: str) -> bool:
    return a is not None and a.casefold() == b.casefold()


def match_route(match: RouteMatch, fields: RoutedFields) -> tuple[list[str], str | None]:
    """``(reasons, None)`` when every given field matches, else ``([], why not)``."""
    reasons: list[str] = []
    checks: list[tuple[str, list[str], list[str]]] = [
        ("source", match.source, [v for v in match.source if fnmatchcase(fields.source_id, v)]),
        ("country", match.country, [v for v in match.country if _same(fields.country, v)]),
        (
            "publisher",
            match.publisher,
            [v for v in match.publisher if v.casefold() in (fields.publisher or "").casefold()],
        ),
        ("doc_type", match.doc_type, [v for v in match.doc_type if _same(fields.doc_type, v)]),
        ("language", match.language, [v for v in match.language if _same(fields.language, v)]),
        (
            "topics",
            match.topics,
            [v for v in match.topics if any(_same(topic, v) for topic in fields.topics)],
        ),
    ]
    for name, wanted, found in checks:
        if not wanted:
            continue
        if not found:
            return [], f"{name} is not {' or '.join(wanted)}"
        reasons.append(f"{name} {', '.join(found)}")
    return reasons or ["matches everything"], None


def decide(
    routing: RoutingConfig, fields: RoutedFields, default_channel: str | None
) -> RouteDecision:
    """The channels for these facts, each once, in the order the routes name them."""
    decision = RouteDecision()
    seen: set[str] = set()
    for route in routing.routes:
        reasons, miss = match_route(route.match, fields)
        if miss is not None:
            decision.misses.append((route.name, miss))
            continue
        decision.hits.append(RouteHit(route.name, list(route.channels), reasons))
        for channel in route.channels:
            key = channel.removeprefix("#").casefold()
            if key not in seen:
                seen.add(key)
                decision.channels.append(channel)
    if not decision.channels and default_channel:
        decision.channels.append(default_channel)
        decision.used_default = True
    return decision
