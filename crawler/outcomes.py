"""The outcomes a run can end with, grouped by what they mean for a source's health.

Plain values: the engine records them, health and ``govwatch status`` read them, and the
web app shows them, so they live on the ground floor of the house (docs/architecture.md).
"""

from __future__ import annotations

FAILED_OUTCOMES = frozenset(
    {
        "empty",
        "http_error",
        "blocked",
        "timeout",
        "parse_error",
        "fetch_error",
        "store_error",
        "error",
    }
)
COMPLETE_OUTCOMES = frozenset({"ok", "partial", "not_modified"})
"""Outcomes of a run that read every URL of its source: one of these ends a baseline."""
