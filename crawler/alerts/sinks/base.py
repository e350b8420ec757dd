"""The one protocol every sink speaks, and the values the outbox dispatcher hands it.

A sink is told *what* to show (an :class:`Alert` or a :class:`Burst`, built from the
publication view in message.py) and *where* (``target``: the part of the destination after
``<sink name>:``). Everything else — which rows are due, claiming them, order, pace,
backoff, surviving errors, telling ops — is the dispatcher's (crawler/alerts/outbox.py), so a
new sink is one module that renders and sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from crawler.alerts.message import AlertMessage
from crawler.errors import DeliveryError
from crawler.logs import redact

Scope = Literal["auth", "channel", "message", "transient"]


@dataclass(frozen=True)
class OpsNotice:
    """A notice that is not one publication: source health or delivery (kind ``ops``), or
    a weekly digest's section or announcement (kinds ``digest``, ``digest_announcement``,
    written by crawler/digest/publish.py with Slack blocks ready)."""

    text: str
    source_id: str | None
    state: str | None
    blocks: tuple[dict[str, Any], ...] = ()
    # A whole published digest for a sink that shows HTML (Apprise: e-mail, Teams …).
    title: str | None = None
    html: str | None = None


@dataclass(frozen=True)
class Alert:
    """One outbox row to show: a publication (``view``) or an ops notice (``notice``)."""

    outbox_id: int
    destination: str
    target: str
    kind: str
    publication_id: int | None
    view: AlertMessage | None
    notice: OpsNotice | None


@dataclass(frozen=True)
class Burst:
    """Many new publications of one source for one destination, shown as one summary."""

    destination: str
    target: str
    source_id: str
    total: int
    outbox_ids: list[int]
    newest_first: list[AlertMessage] = field(default_factory=list)


@dataclass(frozen=True)
class DeliveryResult:
    """What the sink confirms: ``ref`` is stored as the row's ``message_ref`` (e.g. a Slack
    ``<channel id>:<ts>``); ``None`` when the sink has nothing to refer to."""

    ref: str | None = None


class SinkError(DeliveryError):
    """A delivery that failed; ``scope`` says what is broken, so the dispatcher knows what else
    to hold back: ``auth`` (the whole sink), ``channel`` (this destination), ``message`` (this
    alert only), or ``transient`` (try later; ``retry_after`` seconds if the service said)."""

    def __init__(
        self, code: str, reason: str, scope: Scope, retry_after: float | None = None
    ) -> None:
        self.code = code
        self.scope: Scope = scope
        self.retry_after = retry_after
        super().__init__(redact(reason), permanent=scope != "transient")


def scope_of(error: DeliveryError) -> Scope:
    """A plain DeliveryError is about its one alert (permanent) or transient."""
    if isinstance(error, SinkError):
        return error.scope
    return "message" if error.permanent else "transient"


class Sink(Protocol):
    """Where alerts are shown. Register an implementation with
    :func:`crawler.alerts.sinks.registry.register`.

    - ``name``: the destination prefix (``slack`` for ``slack:#channel``, ``console``).
    - ``label``: how ops notices name it ("Slack is not answering").
    - ``keeps_order``: a destination whose oldest row is waiting sends nothing newer (a
      channel is a conversation); when false, each row goes on its own.
    - ``shared_service``: all destinations are one service (a Slack workspace): a transient
      failure pauses the whole sink for the pass and ops are told once per outage. When
      false (each Apprise channel is its own service), only that destination waits.
    - ``pace``: the least time between two messages to one destination.
    - ``deliver`` / ``deliver_burst``: show it, or raise :class:`DeliveryError` /
      :class:`SinkError`. Any other exception is survived by the dispatcher.
    - ``already_delivered``: the exactly-once check. Of ``outbox_ids`` (rows a run may have
      sent without recording it), the ones the destination already shows since ``since``,
      with their refs. A sink that cannot look returns ``{}``: a row sent just before a
      crash, or answered with an error after it arrived, is then sent again.
    """

    name: str
    label: str
    keeps_order: bool
    shared_service: bool
    pace: timedelta

    def deliver(self, alert: Alert) -> DeliveryResult: ...

    def deliver_burst(self, burst: Burst) -> DeliveryResult: ...

    def already_delivered(
        self, target: str, outbox_ids: list[int], since: datetime
    ) -> dict[int, str]: ...
