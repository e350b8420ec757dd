"""Logging set-up: one line per event on stderr, structured fields appended, secrets hidden.

Modules log with ``logging.getLogger(__name__)`` and pass ``source_id``, ``run_id``, ``url``
and the like as ``extra``; this formatter appends them as ``key=value`` so a line can be
grepped by source. Slack tokens and passwords in URLs are redacted before anything is
written.
"""

from __future__ import annotations

import logging
import re
import sys

STRUCTURED_FIELDS = (
    "source_id",
    "run_id",
    "url",
    "outcome",
    "http_statuses",
    "items",
    "new",
    "duration",
    "outbox_id",
    "destination",
    "state",
)
_SECRETS = re.compile(r"(xox[abprs]-[A-Za-z0-9-]+)|(://[^/\s:@]+:)[^@\s/]+@")


def redact(text: str) -> str:
    """Hide Slack tokens and URL passwords: ``xoxb-…`` → ``xoxb-***``, ``://u:p@`` → ``://u:***@``."""

    def _hide(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1)[:5] + "***"
        return f"{match.group(2)}***@"

    return _SECRETS.sub(_hide, text)


class StructuredFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = [
            f"{name}={getattr(record, name)}"
            for name in STRUCTURED_FIELDS
            if getattr(record, name, None) is not None
        ]
        return redact(f"{line} {' '.join(fields)}" if fields else line)


def configure_logging(level: str = "WARNING") -> None:
    """Send log lines to stderr (results go to stdout); quiet Scrapy's own chatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        StructuredFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # govwatch records spider errors itself, with the source and the reason; Scrapy's
    # tracebacks for the same events would only bury that message.
    for noisy in ("scrapy", "twisted", "alembic", "filelock", "py.warnings"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level.upper()), logging.WARNING))
    logging.getLogger("scrapy.core.scraper").setLevel(logging.CRITICAL)
    logging.getLogger("scrapy.core.engine").setLevel(logging.CRITICAL)
    logging.getLogger("scrapy.downloadermiddlewares.retry").setLevel(logging.CRITICAL)
    # A robots.txt that cannot be fetched is followed by the same failure on the page
    # itself, which the run records with the source and a readable reason.
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)
