"""What `govwatch crawl` tells a person after a pass: short per-source reasons, one cause.

A run's ``error`` is written for the record (source, URL, reason, hints, how many more);
in a table of thirty sources that is thirty long paragraphs saying the same thing. So the
table shows the reason alone, and when most sources failed the same way (a machine
without network fails them all on DNS) one line names that cause and what to try.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from crawler.runner import RunSummary

SHORT_REASON_CHARS = 90
# The runner's record of "no network" ends in a hint the summary line gives once instead.
_HINT = re.compile(r"\s*(: no network from this machine\?)?\s*\(`govwatch demo`[^)]*\)")
_MORE = re.compile(r"\s*\(\+\d+ more errors?\)")
# Causes that say "this machine cannot reach the internet" rather than "this site is broken".
NETWORK_CAUSES = (
    "could not be resolved",
    "connection was refused",
    "no answer within the download timeout",
    "network is unreachable",
)


def short_reason(summary: RunSummary) -> str:
    """The reason of a failed run without the source id, the URL and the hints."""
    text = summary.error or ""
    text = text.removeprefix(f"{summary.source_id}: ")
    first, _, rest = text.partition(": ")
    if rest and first.startswith(("http://", "https://")):
        text = rest
    text = _MORE.sub("", _HINT.sub("", text)).strip()
    if len(text) > SHORT_REASON_CHARS:
        text = text[: SHORT_REASON_CHARS - 1].rstrip() + "…"
    return text


@dataclass(frozen=True)
class CommonFailure:
    """Most runs failed for one reason."""

    reason: str
    failed: int
    total: int

    @property
    def looks_offline(self) -> bool:
        return any(cause in self.reason for cause in NETWORK_CAUSES)

    def line(self) -> str:
        where = f"{self.failed} of {self.total} sources failed the same way: {self.reason}."
        if self.looks_offline:
            return (
                f"{where} This machine looks offline (or a firewall/proxy blocks these sites): "
                "check the network, or try `govwatch demo`, which works offline."
            )
        return f"{where} The cause is probably on this side, not at the sites."


def common_failure(summaries: list[RunSummary], minimum: int = 3) -> CommonFailure | None:
    """The one reason behind at least ``minimum`` failures and over half of all runs."""
    reasons = Counter(short_reason(summary) for summary in summaries if summary.failed)
    if not reasons:
        return None
    reason, count = reasons.most_common(1)[0]
    if count < minimum or count * 2 <= len(summaries):
        return None
    return CommonFailure(reason.removesuffix("…"), count, len(summaries))
