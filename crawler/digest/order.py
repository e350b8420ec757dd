"""The editor's order of a digest's items, within one country section.

Two ways to set it, one rule each: ↑ / ↓ swap an item with its neighbour (the plain forms),
and a drop on the review page sends the section's whole order (crawler/web/static/digest.js).
Positions only matter inside a country (the items are read by country, then position), so a
section may be renumbered without touching the others.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from storage import digests as store
from storage.models import DigestItem


class OrderRefused(ValueError):
    """An order that does not describe items of one section of this digest; one line."""


def move(session: Session, digest_id: int, item_id: int, step: int) -> None:
    """Swap the item with its neighbour (``step`` -1 or 1) in the same country section."""
    rows = store.items(session, digest_id)
    item = next(entry for entry, _ in rows if entry.id == item_id)
    same = [entry for entry, _ in rows if entry.country == item.country]
    index = same.index(item) + step
    if 0 <= index < len(same):
        other = same[index]
        item.position, other.position = other.position, item.position
        if item.position == other.position:  # equal positions: make the order explicit
            item.position += step


def reorder(session: Session, digest_id: int, item_ids: Sequence[int]) -> None:
    """Put the named items of one country section in the given order.

    Every id must be an item of this digest, all in one country, none twice; otherwise
    :class:`OrderRefused` and nothing changes. Items of the section the order does not name
    (pulled in by another editor since the page was drawn) keep their places; the named
    ones take the slots the named ones held, in the new order.
    """
    if not item_ids:
        raise OrderRefused("the order names no items")
    if len(set(item_ids)) != len(item_ids):
        raise OrderRefused("the order names an item twice")
    rows = [item for item, _ in store.items(session, digest_id)]
    by_id = {item.id: item for item in rows}
    strangers = [item_id for item_id in item_ids if item_id not in by_id]
    if strangers:
        raise OrderRefused(f"items {strangers} are not in this digest")
    countries = {by_id[item_id].country for item_id in item_ids}
    if len(countries) != 1:
        raise OrderRefused("the order mixes items of different countries")
    section = [item for item in rows if item.country in countries]
    named = set(item_ids)
    wanted = iter(item_ids)
    ordered: list[DigestItem] = [
        by_id[next(wanted)] if item.id in named else item for item in section
    ]
    _renumber(ordered)


def _renumber(ordered: Sequence[DigestItem]) -> None:
    """Give ``ordered`` strictly increasing positions, reusing the ones it holds."""
    slots = sorted(item.position for item in ordered)
    previous: int | None = None
    for item, slot in zip(ordered, slots, strict=True):
        position = slot if previous is None or slot > previous else previous + 1
        item.position = previous = position
