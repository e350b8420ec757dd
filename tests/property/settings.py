"""How many examples the property tests generate.

Modest by default so the folder stays quick in CI; ``GOVWATCH_HYPOTHESIS_EXAMPLES=2000``
(``make fuzz``) multiplies them for an on-demand run (docs/reliability.md).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_ON_DEMAND = os.environ.get("GOVWATCH_HYPOTHESIS_EXAMPLES")


def examples(default: int, *, share: float = 1.0) -> int:
    """``default`` examples, or ``share`` of the on-demand figure when one is set.

    Tests that crawl over HTTP cost far more per example than pure functions; they take a
    smaller share of an on-demand run.
    """
    if _ON_DEMAND:
        return max(default, int(int(_ON_DEMAND) * share))
    return default


def property_settings(default: int, *, share: float = 1.0) -> settings:
    return settings(
        max_examples=examples(default, share=share),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
