"""The bulletin's publishers and the sources that watch them (``config/bulletin.yaml``).

The policy bulletin cites a fixed set of publishers; coverage is whether each has at least
one enabled source. ``govwatch docs sources`` renders it as the seed-coverage table of
docs/sources.md, so a publisher left without a source shows there, not only in a review.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crawler.errors import ConfigError
from crawler.sources import SourceConfig


class BulletinPublisher(BaseModel):
    """One cited publisher: who, where, which source ids watch it, and what is missing."""

    model_config = ConfigDict(extra="forbid")

    publisher: str
    country: str
    sources: list[str] = Field(min_length=1)
    note: str | None = None


class Bulletin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publishers: list[BulletinPublisher] = Field(min_length=1)


def load_bulletin(path: Path, sources: dict[str, SourceConfig]) -> Bulletin:
    """Read the publisher list; every source id it names must be configured."""
    try:
        bulletin = Bulletin.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: not a readable publisher list ({exc})") from exc
    unknown = sorted(
        {sid for entry in bulletin.publishers for sid in entry.sources if sid not in sources}
    )
    if unknown:
        raise ConfigError(f"{path}: names sources that are not configured: {', '.join(unknown)}")
    return bulletin


def watching(entry: BulletinPublisher, sources: dict[str, SourceConfig]) -> list[str]:
    """The enabled sources among the publisher's."""
    return [sid for sid in entry.sources if sources[sid].enabled]


def render_coverage(bulletin: Bulletin, sources: dict[str, SourceConfig]) -> str:
    """The seed-coverage section: a count, then one row per cited publisher."""
    covered = sum(1 for entry in bulletin.publishers if watching(entry, sources))
    total = len(bulletin.publishers)
    lines = [
        "## Seed coverage",
        "",
        "The publishers the policy bulletin cites beyond the five named sites "
        "(`config/bulletin.yaml`), and the sources that watch them: "
        f"**{covered}/{total}** have an enabled source.",
        "",
        "| publisher | country | watched by | notes |",
        "|---|---|---|---|",
    ]
    for entry in bulletin.publishers:
        enabled = watching(entry, sources)
        others = [f"{sid} (disabled)" for sid in entry.sources if sid not in enabled]
        also = "; ".join(part for part in (", ".join(others), entry.note or "") if part)
        lines.append(
            f"| {entry.publisher} | {entry.country} | {', '.join(enabled) or '**none**'} | {also} |"
        )
    return "\n".join(lines) + "\n"
