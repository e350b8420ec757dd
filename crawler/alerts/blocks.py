"""Turn a publication (or an ops notice, or a burst) into a Slack Block Kit message.

Everything that came from a web page is untrusted: a title such as ``<!channel> urgent`` or
``<https://evil.example|gov.uk>`` must show as text, never ping a channel or hide a link.
So page text is escaped (``&``, ``<``, ``>``, as Slack asks) and placed in ``mrkdwn`` text
objects marked ``verbatim`` (Slack then does not auto-parse mentions or channel names);
only links govwatch builds itself, from an ``http(s)`` URL, are written as ``<url|label>``.
Slack's limits are kept here, in one place: section text ≤ 3000 characters, header ≤ 150,
at most 10 fields of ≤ 2000 characters and 50 blocks per message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawler.alerts.message import AlertMessage, AttachmentView, alert_message, source_name
from storage.models import Publication

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
MAX_FIELDS = 10
MAX_BLOCKS = 50
TEXT_LIMIT = 3000
TITLE_CHARS = 500
SUMMARY_CHARS = 1200
ATTACHMENTS_SHOWN = 10

Block = dict[str, Any]


@dataclass(frozen=True)
class SlackPayload:
    """What goes to chat.postMessage: the notification text and the blocks."""

    text: str
    blocks: list[Block]


def escape(text: str) -> str:
    """Slack's three control characters as entities; nothing else needs escaping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """Escape ``text`` and shorten it (with …) so that the *escaped* form fits ``limit``.

    Trimming after escaping could cut ``&amp;`` in half, so the raw text is shortened.
    """
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = min(len(text), limit - 1)
    while cut > 0:
        candidate = escape(text[:cut].rstrip()) + "…"
        if len(candidate) <= limit:
            return candidate
        # An escaped character is at most five long: step fast when far over, then by one.
        cut -= max((len(candidate) - limit) // 5, 1)
    return "…"


def link(url: str, label: str, limit: int = TITLE_CHARS) -> str:
    """``<url|label>`` for an http(s) URL; other schemes are shown as text, not linked."""
    if not url.lower().startswith(("http://", "https://")) or len(url) > SECTION_LIMIT // 2:
        return fit(label, limit)
    safe_url = escape(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{fit(label, limit)}>"


def flag(country: str | None) -> str:
    """The flag emoji of an ISO 3166 alpha-2 code (``EU`` has one too); else nothing."""
    if not country or len(country) != 2 or not country.isalpha() or not country.isascii():
        return ""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in country.upper())


def human_size(size: int | None) -> str | None:
    if size is None or size < 0:
        return None
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size = size / 1024  # type: ignore[assignment]
    return None


def section(text: str, *, verbatim: bool = True) -> Block:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT], "verbatim": verbatim},
    }


def context(text: str) -> Block:
    element = {"type": "mrkdwn", "text": text[:SECTION_LIMIT], "verbatim": True}
    return {"type": "context", "elements": [element]}


def publication_fields(message: AlertMessage) -> list[tuple[str, str]]:
    """The facts an analyst scans for, as the console shows them; Slack adds the flag."""
    fields = []
    for name, value in message.fields:
        if name == "Country" and (marker := flag(value)):
            value = f"{marker} {value}"
        fields.append((name, value))
    return fields


def field(name: str, value: str) -> dict[str, Any]:
    """A section field; ``verbatim`` so page text never becomes a mention or channel link."""
    text = f"*{name}*\n{fit(value, FIELD_LIMIT - len(name) - 3)}"
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def publication_payload(publication: Publication) -> SlackPayload:
    """The Slack message of a stored publication (its publication view)."""
    return message_payload(alert_message(publication))


def message_payload(message: AlertMessage) -> SlackPayload:
    """Title link, facts, summary, attachments; the fallback text says the same in a line."""
    blocks: list[Block] = [section(f"*{link(message.url, message.title)}*")]
    fields = [field(name, value) for name, value in publication_fields(message)[:MAX_FIELDS]]
    blocks.append({"type": "section", "fields": fields})
    if message.summary:
        blocks.append(section(fit(message.summary, SUMMARY_CHARS)))
    if message.attachments:
        blocks.append(section(attachment_lines(message.attachments)))
    footer = f"govwatch · publication {message.publication_id} · {message.source_id}"
    blocks.append(context(fit(footer, 300)))
    return SlackPayload(fallback_text(message), blocks[:MAX_BLOCKS])


def attachment_lines(attachments: list[AttachmentView]) -> str:
    lines = ["*Attachments*"]
    for attachment in attachments[:ATTACHMENTS_SHOWN]:
        facts = [
            kind for kind in (attachment_kind(attachment), human_size(attachment.size)) if kind
        ]
        suffix = f" ({', '.join(facts)})" if facts else ""
        lines.append(f"• {link(attachment.url, attachment.title, 200)}{escape(suffix)}")
    if len(attachments) > ATTACHMENTS_SHOWN:
        lines.append(f"…and {len(attachments) - ATTACHMENTS_SHOWN} more")
    text = "\n".join(lines)
    while len(text) > SECTION_LIMIT:  # drop whole lines, never half a link
        lines = [*lines[:-2], "…"]
        text = "\n".join(lines)
    return text


def attachment_kind(attachment: AttachmentView) -> str | None:
    """``PDF`` when the attachment is one (every sink says so the same way)."""
    if attachment.media_type == "application/pdf" or attachment.url.lower().endswith(".pdf"):
        return "PDF"
    return None


def fallback_text(message: AlertMessage) -> str:
    """The one line a phone notification shows; escaped like the blocks."""
    publisher, country = (dict(message.fields).get(key) for key in ("Publisher", "Country"))
    facts = ", ".join(part for part in (publisher, country, message.when) if part and part != "—")
    return fit(f"New: {message.title} — {facts}", TEXT_LIMIT)


def ops_payload(text: str, source_id: str | None, state: str | None) -> SlackPayload:
    """A source-health or delivery notice for the ops channel."""
    blocks: list[Block] = [section(f":rotating_light: *govwatch ops*\n{fit(text, 2800)}")]
    facts = " · ".join(
        f"{name}: {fit(value, 200)}"
        for name, value in (("source", source_id), ("state", state))
        if value
    )
    if facts:
        blocks.append(context(facts))
    return SlackPayload(fit(f"govwatch ops: {text}", TEXT_LIMIT), blocks)


def burst_payload(
    source_id: str, publications: list[AlertMessage], total: int, listed: int
) -> SlackPayload:
    """One summary instead of a flood: the count, the newest titles as links, the rest counted."""
    noun = "publication" if total == 1 else "publications"
    name = source_name(source_id)
    header = fit(f"{total} new {noun} from {name}", HEADER_LIMIT)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": False}}
    ]
    lines = [f"• {link(p.url, p.title, 300)} ({escape(p.when)})" for p in publications[:listed]]
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > SECTION_LIMIT - 40:
            break
        text = f"{text}\n{line}" if text else line
    if text:
        blocks.append(section(text))
    shown = text.count("\n") + 1 if text else 0
    if total > shown:
        # The header names the source; the id here is what `govwatch status` lists.
        blocks.append(context(f"…and {total - shown} more from {fit(source_id, 200)}."))
    fallback = fit(f"{total} new {noun} from {name}", TEXT_LIMIT)
    return SlackPayload(fallback, blocks)
