"""A digest's included items, as the bulletin's table: HTML, Markdown and Slack messages.

One table per country, columns "title (publisher / date) | key points", in the editor's
order; lead items are marked. Everything that came from a page is text in every output:
HTML through Jinja2's autoescaping, Markdown with its punctuation and ``<``/``>`` escaped,
Slack through :func:`crawler.alerts.blocks.fit` (``&``, ``<``, ``>``) in verbatim text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from crawler.alerts.blocks import (
    HEADER_LIMIT,
    MAX_BLOCKS,
    SECTION_LIMIT,
    Block,
    SlackPayload,
    context,
    fit,
    flag,
    link,
    section,
)
from crawler.alerts.message import describe_date
from storage import digests as store
from storage.models import Digest

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Blocks per Slack message: a header and a context line around the items, well under 50.
ITEMS_PER_MESSAGE = 20
assert ITEMS_PER_MESSAGE + 2 <= MAX_BLOCKS  # noqa: S101 (a header and a context line)
# Characters of item text per message: Slack truncates very long messages.
CHARS_PER_MESSAGE = 12000
NO_COUNTRY = "Other"


@dataclass(frozen=True)
class Row:
    item_id: int
    publication_id: int
    title: str
    url: str
    publisher: str
    date: str
    key_points: str
    lead: bool
    topic: str | None
    included: bool

    @property
    def href(self) -> str:
        """The link target: only http(s) URLs are links (never ``javascript:``)."""
        return self.url if self.url.lower().startswith(("http://", "https://")) else "#"


@dataclass(frozen=True)
class Section:
    country: str
    flag: str
    rows: list[Row]


def sections(session: Session, digest: Digest, *, included_only: bool = True) -> list[Section]:
    """The digest's items by country (alphabetical, items without a country last)."""
    grouped: dict[str, list[Row]] = {}
    for item, publication in store.items(session, digest.id):
        if included_only and not item.included:
            continue
        row = Row(
            item.id, publication.id, publication.title, publication.url,
            publication.publisher or publication.source_id, describe_date(publication),
            item.key_points, item.lead, item.topic, item.included,
        )  # fmt: skip
        grouped.setdefault(item.country or NO_COUNTRY, []).append(row)
    return [Section(country, flag(country), rows) for country, rows in grouped.items()]


def environment() -> Environment:
    # Jinja2 is imported when a digest is rendered, not by the daemon that schedules it.
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(digest: Digest, parts: list[Section]) -> str:
    """A printable page: one table per country (no script; styles from attributes and an
    optional stylesheet, so it reads well downloaded, printed or served)."""
    return environment().get_template("digest.html").render(digest=digest, sections=parts)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md(text: str) -> str:
    """Markdown text that renders as exactly ``text``: punctuation backslash-escaped, ``<``
    and ``&`` as entities (so no HTML in a title is ever live), on one line."""
    flat = " ".join(text.split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;")
    return _MD_SPECIAL.sub(r"\\\1", flat)


def render_markdown(digest: Digest, parts: list[Section]) -> str:
    lines = [f"# govwatch digest {md(digest.label)}", ""]
    for part in parts:
        lines += [f"## {part.flag} {md(part.country)}".replace("  ", " "), ""]
        lines += ["| Title (publisher / date) | Key points |", "|---|---|"]
        for row in part.rows:
            lead = "**Lead** · " if row.lead else ""
            title = f"[{md(row.title)}](<{row.url.replace('>', '%3E').replace(' ', '%20')}>)"
            cell = f"{lead}{title} ({md(row.publisher)} / {md(row.date)})"
            lines.append(f"| {cell} | {md(row.key_points) or '—'} |")
        lines.append("")
    return "\n".join(lines)


def slack_messages(digest: Digest, parts: list[Section]) -> list[SlackPayload]:
    """One message per country; a long country is split between items into parts, each
    within Slack's limits (≤ 50 blocks, section text ≤ 3000 characters)."""
    messages: list[SlackPayload] = []
    for part in parts:
        chunks: list[list[Block]] = [[]]
        size = 0
        for row in part.rows:
            block = section(_slack_row(row))
            length = len(block["text"]["text"])
            if chunks[-1] and (
                len(chunks[-1]) >= ITEMS_PER_MESSAGE or size + length > CHARS_PER_MESSAGE
            ):
                chunks.append([])
                size = 0
            chunks[-1].append(block)
            size += length
        for number, blocks in enumerate(chunks, start=1):
            suffix = f" ({number}/{len(chunks)})" if len(chunks) > 1 else ""
            title = f"Digest {digest.label} — {part.flag} {part.country}{suffix}".replace("  ", " ")
            header: Block = {
                "type": "header",
                "text": {"type": "plain_text", "text": title[:HEADER_LIMIT], "emoji": True},
            }
            count = f"{len(blocks)} item{'s' if len(blocks) != 1 else ''}"
            message = [header, *blocks, context(f"govwatch weekly digest · {count}")]
            messages.append(SlackPayload(fit(title, 3000), message))
    return messages


def _slack_row(row: Row) -> str:
    lead = ":star: " if row.lead else ""
    meta = f"_{fit(row.publisher, 200)} / {fit(row.date, 40)}_"
    head = f"{lead}*{link(row.url, row.title, 400)}*\n{meta}"
    body = fit(row.key_points, SECTION_LIMIT - len(head) - 2) if row.key_points else ""
    return f"{head}\n{body}" if body else head
