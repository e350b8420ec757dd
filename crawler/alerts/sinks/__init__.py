"""Alert sinks: one module per place alerts can be shown, each registering itself.

Importing this package registers the built-in sinks (the order is the order the dispatcher
serves them in: Slack first, since its ops notices may go to the console).
"""

from crawler.alerts.sinks import apprise as apprise
from crawler.alerts.sinks import console as console
from crawler.alerts.sinks import slack as slack
from crawler.alerts.sinks.base import (
    Alert,
    Burst,
    DeliveryResult,
    OpsNotice,
    Sink,
    SinkError,
)
from crawler.alerts.sinks.registry import enabled_sinks, register, split_destination

__all__ = [
    "Alert",
    "Burst",
    "DeliveryResult",
    "OpsNotice",
    "Sink",
    "SinkError",
    "apprise",
    "console",
    "enabled_sinks",
    "register",
    "slack",
    "split_destination",
]
