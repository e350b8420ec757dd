"""Build (or rebuild) a digest: a snapshot of the publications first seen in its period.

- Candidates: publications first seen in the period (``first_seen_at``, not their own
  publication date, which can be weeks old or missing), cross-source duplicates left out,
  plus the *pending* ones of earlier digests (first seen in their period after their
  snapshot). A publication in any other digest is never taken again.
- A new digest's items are ordered by country, then topic, then date.
- Rebuilding a draft takes a new snapshot: new candidates are appended to their country's
  section; every existing item keeps the editor's choices (included or not, key points,
  position, lead). Key points the editor has not touched are re-drafted (a detail page may
  have been fetched since). An approved or published digest is not rebuilt.
- No candidate and no digest yet: nothing is created (and nothing announced).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawler.digest.key_points import draft, says_more
from crawler.digest.period import Period
from storage import digests as store
from storage.db import transaction
from storage.models import Digest, DigestItem, Publication, PublicationText, utcnow

# Fetches detail pages: publication → (main text or None, error or None).
TextFetcher = Callable[[Sequence[Publication]], dict[int, tuple[str | None, str | None]]]


@dataclass(frozen=True)
class BuildResult:
    digest_id: int | None
    label: str
    created: bool = False
    added: int = 0
    kept: int = 0
    pending: int = 0
    note: str = ""


def sort_key(publication: Publication) -> tuple[str, str, date, int]:
    """Country, then topic, then date (publication date, else the day it was first seen)."""
    day = publication.published_on or publication.first_seen_at.date()
    return (publication.country or "~", topic_of(publication) or "~", day, publication.id)


def topic_of(publication: Publication) -> str | None:
    return sorted(publication.topics)[0] if publication.topics else None


def build_digest(
    engine: Engine,
    period: Period,
    now: datetime | None = None,
    fetch_texts: TextFetcher | None = None,
) -> BuildResult:
    """Build the digest of ``period`` (or rebuild its draft); see the module doc."""
    now = now or utcnow()
    if fetch_texts is not None:
        _fetch_missing_texts(engine, period, now, fetch_texts)
    with transaction(engine) as session:
        return _build(session, period, now)


def _build(session: Session, period: Period, now: datetime) -> BuildResult:
    digest = store.digest_for_period(session, period.start, period.end)
    if digest is not None and digest.state != "draft":
        return BuildResult(
            digest.id, digest.label, note=f"{digest.label} is {digest.state}: not rebuilt"
        )
    candidates = _candidates(session, period, now, digest.id if digest else None)
    existing = store.items(session, digest.id) if digest is not None else []
    have = {item.publication_id for item, _ in existing}
    new = sorted((p for p in candidates if p.id not in have), key=sort_key)
    if digest is None and not new:
        return BuildResult(None, period.label, note=f"nothing first seen in {period.label}")
    created = digest is None
    if digest is None:
        digest = store.add_digest(session, period.label, period.start, period.end, now)
    digest.snapshot_at = now
    texts = store.main_texts(session, [p.id for p in new] + [p.id for _, p in existing])
    for item, publication in existing:
        if not item.key_points_edited:
            text = texts.get(publication.id)
            item.key_points = draft(
                publication.title, publication.summary, text.main_text if text else None
            )
    first = store.max_position(session, digest.id) + 1
    store.add_items(
        session,
        [
            _new_item(digest, publication, texts.get(publication.id), position, now)
            for position, publication in enumerate(new, start=first)
        ],
    )
    return BuildResult(
        digest.id,
        digest.label,
        created=created,
        added=len(new),
        kept=len(existing),
        pending=len(pending(session, digest, period.timezone)),
    )


def _candidates(
    session: Session, period: Period, now: datetime, digest_id: int | None
) -> list[Publication]:
    since, until = period.bounds()
    found = {p.id: p for p in store.first_seen_between(session, since, min(until, now))}
    for earlier in store.earlier_digests(session, period.start):
        _, earlier_until = Period(
            earlier.period_start, earlier.period_end, period.timezone
        ).bounds()
        for publication in store.first_seen_between(session, earlier.snapshot_at, earlier_until):
            found.setdefault(publication.id, publication)
    taken = store.in_other_digests(session, digest_id)
    return [publication for publication in found.values() if publication.id not in taken]


def pending(session: Session, digest: Digest, timezone: str = "UTC") -> list[Publication]:
    """Publications first seen in the digest's period after its snapshot, in no digest yet:
    they wait for the next digest, or the editor pulls them in."""
    _, until = Period(digest.period_start, digest.period_end, timezone).bounds()
    taken = store.in_other_digests(session, None)
    found = store.first_seen_between(session, digest.snapshot_at, until)
    return sorted((p for p in found if p.id not in taken), key=sort_key)


def pull_in(session: Session, digest: Digest, publication: Publication) -> bool:
    """Add a pending publication to a draft (at the end of its country's section)."""
    if digest.state != "draft" or publication.id in store.in_other_digests(session, None):
        return False
    text = store.main_texts(session, [publication.id]).get(publication.id)
    position = store.max_position(session, digest.id) + 1
    store.add_items(session, [_new_item(digest, publication, text, position, utcnow())])
    return True


def _new_item(
    digest: Digest,
    publication: Publication,
    text: PublicationText | None,
    position: int,
    added_at: datetime,
) -> DigestItem:
    """A publication's place in a digest: included, key points drafted, no lead."""
    return DigestItem(
        digest_id=digest.id,
        publication_id=publication.id,
        included=True,
        key_points=draft(publication.title, publication.summary, text.main_text if text else None),
        key_points_edited=False,
        position=position,
        lead=False,
        country=publication.country,
        topic=topic_of(publication),
        added_at=added_at,
    )


def _fetch_missing_texts(
    engine: Engine, period: Period, now: datetime, fetch_texts: TextFetcher
) -> None:
    """Fetch, once, the detail pages of candidates whose summary says no more than the title.

    The network is used outside any transaction; each outcome (text, or why there is none)
    is stored, so a page is never fetched twice.
    """
    with transaction(engine) as session:
        digest = store.digest_for_period(session, period.start, period.end)
        if digest is not None and digest.state != "draft":
            return
        candidates = _candidates(session, period, now, digest.id if digest else None)
        if digest is not None:
            candidates += [p for _, p in store.items(session, digest.id)]
        known = store.main_texts(session, [p.id for p in candidates])
        wanted = [p for p in candidates if p.id not in known and not says_more(p.summary, p.title)]
    if not wanted:
        return
    fetched = fetch_texts(wanted)
    with transaction(engine) as session:
        for publication_id, (text, error) in fetched.items():
            store.save_main_text(session, publication_id, text, error)
