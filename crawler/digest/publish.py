"""Approve, reopen and publish a digest; announce a new draft to the editors.

draft → approved (who, when) → published; an approved digest can go back to draft until it
is published. Publishing is one conditional update (``approved`` → ``published``) in the
transaction that queues its messages in the alert outbox (Slack: one per country section;
``digest.publish_to``'s other sinks: the whole digest in one), so a second publish —
twice clicked, two processes — finds nothing to update and queues nothing: the outbox's
exactly-once delivery (docs/alerts.md) does the rest. HTML and Markdown files are written
after the commit, from the stored items (they can be written again at any time).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawler.alerts.blocks import SlackPayload, context, fit, section
from crawler.app_config import AppConfig
from crawler.digest.render import render_html, render_markdown, sections, slack_messages
from crawler.errors import GovwatchError
from storage import digests as store
from storage.db import transaction
from storage.models import Digest, utcnow

MAX_LEADS = 3


class DigestError(GovwatchError):
    """A digest action that cannot be done now (e.g. publishing a draft); one line."""


@dataclass(frozen=True)
class Published:
    digest_id: int
    label: str
    newly: bool  # False: it was already published, nothing was queued again
    messages: int
    html: Path | None
    markdown: Path | None


def destination(config: AppConfig, channel: str | None) -> str | None:
    """``slack:#channel`` when Slack is configured, the console otherwise; None: nowhere."""
    if channel is None:
        return None
    return f"slack:{channel}" if config.slack.token() else "console"


def approve(session: Session, digest: Digest, who: str) -> None:
    who = " ".join(who.split())
    if not who:
        raise DigestError("say who approves (a name)")
    if digest.state != "draft":
        raise DigestError(f"{digest.label} is {digest.state}; only a draft can be approved")
    digest.state, digest.approved_by, digest.approved_at = "approved", who[:200], utcnow()


def reopen(session: Session, digest: Digest) -> None:
    if digest.state != "approved":
        raise DigestError(f"{digest.label} is {digest.state}; only an approved digest reopens")
    digest.state, digest.approved_by, digest.approved_at = "draft", None, None


def publish(engine: Engine, config: AppConfig, digest_id: int) -> Published:
    """Publish an approved digest (see the module doc); publishing again queues nothing."""
    with transaction(engine) as session:
        digest = store.get_digest(session, digest_id)
        if digest is None:
            raise DigestError(f"no digest {digest_id}")
        if digest.state == "draft":
            raise DigestError(f"{digest.label} is a draft: approve it before publishing")
        changed = store.mark_published(session, digest)
        parts = sections(session, digest)
        payloads = slack_messages(digest, parts) if changed == 1 else []
        html, markdown = render_html(digest, parts), render_markdown(digest, parts)
        label = digest.label
        queued = 0
        for target, by_section in _destinations(config) if changed == 1 else []:
            if by_section:
                for number, payload in enumerate(payloads, start=1):
                    store.enqueue_digest_message(
                        session, "digest", target,
                        {"digest_id": digest_id, "part": number, "text": payload.text,
                         "blocks": payload.blocks},
                    )  # fmt: skip
                    queued += 1
            else:  # one message: the whole digest, as HTML (Apprise) or Markdown (console)
                store.enqueue_digest_message(
                    session, "digest", target,
                    {"digest_id": digest_id, "part": 1, "text": markdown, "html": html,
                     "title": f"Weekly digest {label}"},
                )  # fmt: skip
                queued += 1
    html_path, md_path = write_files(config.digest.output_dir, label, html, markdown)
    return Published(digest_id, label, changed == 1, queued, html_path, md_path)


def _destinations(config: AppConfig) -> list[tuple[str, bool]]:
    """Where a published digest goes, each once, and whether by country section:
    ``digest.channel`` (Slack, or the console in its place without a token) by section, as
    Slack shows it; every ``digest.publish_to`` destination, by section for Slack, else
    whole."""
    found: dict[str, bool] = {}
    channel = destination(config, config.digest.channel)
    if channel is not None:
        found[channel] = True
    for target in config.digest.publish_to:
        found.setdefault(target, target.startswith("slack:"))
    return list(found.items())


def write_files(directory: Path, label: str, html: str, markdown: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = "digest-" + label.replace("..", "_to_")
    html_path, md_path = directory / f"{stem}.html", directory / f"{stem}.md"
    html_path.write_text(html, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return html_path, md_path


def announce(session: Session, config: AppConfig, digest: Digest, items: int) -> bool:
    """Tell the editors' channel, once per digest, that a draft waits for review."""
    target = destination(config, config.digest.editors_channel)
    if target is None or digest.announced_at is not None:
        return False
    base = (config.web.base_url or "").rstrip("/")
    where = f"{base}/digests/{digest.id}" if base else f"`govwatch digest show {digest.id}`"
    text = f"The digest {digest.label} is ready for review: {items} items."
    payload = SlackPayload(
        fit(text, 3000),
        [section(f":newspaper: {fit(text, 2000)}\n{where}", verbatim=False),
         context("govwatch weekly digest")],
    )  # fmt: skip
    store.enqueue_digest_message(
        session, "digest_announcement", target,
        {"digest_id": digest.id, "text": payload.text, "blocks": payload.blocks},
    )  # fmt: skip
    digest.announced_at = utcnow()
    return True
