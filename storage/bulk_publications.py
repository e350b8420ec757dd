"""Store a batch of new publications in one transaction, with the guarantees of one at a time.

:func:`storage.publications.store_publication` writes one item (an ORM-built statement, a
claim per identity key); a baseline of 10,000 items made that 10,000 transactions. Here a
batch takes a handful of bulk statements with bound parameters, whatever its size:

- ``INSERT … ON CONFLICT (source_id, doc_key) DO NOTHING RETURNING`` for the rows (on
  SQLite ≥ 3.35 and PostgreSQL alike), so that a racing crawl cannot make an item new twice;
- the identity keys (:mod:`storage.identity`) claimed the same way, and the owners of the
  keys already taken read in one query;
- ``duplicate_of`` set for the rows another source already published, and the outbox rows
  of the others, in the caller's transaction: an alert is queued if and only if its
  publication is stored.

The result is the one :func:`~storage.publications.store_publication` would have given
for each record stored in order, one after the other: a later record of the batch with the
same ``(source_id, doc_key)`` is a duplicate, and a key claimed earlier in the batch by
another source's record makes the later one a duplicate of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, and_, bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from storage.identity import stored_doc_key
from storage.models import AlertOutbox, Base, DocumentKey, Publication, utcnow
from storage.publications import (
    StoreResult,
    publication_values,
    record_document_keys,
    split_published,
)
from storage.records import NewPublication
from storage.upsert import dialect_insert

PUBLICATIONS = Base.metadata.tables[Publication.__tablename__]  # Core: bulk, bound parameters
DOCUMENT_KEYS = Base.metadata.tables[DocumentKey.__tablename__]
OUTBOX = Base.metadata.tables[AlertOutbox.__tablename__]


@dataclass(frozen=True)
class ToStore:
    """One record of a batch: the run that found it and where its alert goes (nowhere
    during a silent baseline, or when it is a duplicate)."""

    record: NewPublication
    run_id: int | None
    destinations: Sequence[str] = ()


@dataclass(frozen=True)
class KnownPublication:
    """A stored publication a new record may be the moved copy of (see
    :func:`known_elsewhere_many`)."""

    id: int
    doc_key: str
    url: str


def store_publications(session: Session, entries: Sequence[ToStore]) -> list[StoreResult]:
    """Store each record if new and queue its alerts; one result each, in order (see the
    module docstring). Records of several sources and runs may share a batch."""
    if not entries:
        return []
    connection = session.connection()
    now = utcnow()
    first_of: dict[tuple[str, str], int] = {}  # (source_id, stored doc_key) -> first index
    rows = []
    for index, entry in enumerate(entries):
        identity = (entry.record.source_id, stored_doc_key(entry.record.doc_key))
        if identity not in first_of:
            first_of[identity] = index
            rows.append(publication_values(entry.record, run_id=entry.run_id, first_seen_at=now))
    inserted = insert_new(
        session, PUBLICATIONS, rows, ("source_id", "doc_key"), ("id", "source_id", "doc_key")
    )
    new_ids: dict[int, int] = {first_of[(row[1], row[2])]: row[0] for row in inserted}
    duplicate_of = _claim_document_keys(session, entries, new_ids)
    if duplicate_of:
        connection.execute(
            update(PUBLICATIONS)
            .where(PUBLICATIONS.c.id == bindparam("row_id"))
            .values(duplicate_of=bindparam("owner_id")),
            [{"row_id": new_ids[i], "owner_id": owner} for i, owner in duplicate_of.items()],
        )
    alerts = [
        {"publication_id": publication_id, "destination": destination, "created_at": now}
        for index, publication_id in sorted(new_ids.items())
        if index not in duplicate_of
        for destination in entries[index].destinations
    ]
    if alerts:
        connection.execute(dialect_insert(session, OUTBOX), alerts)
    return [
        StoreResult(new_ids.get(index), duplicate_of.get(index)) for index in range(len(entries))
    ]


def insert_new(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    unique: Sequence[str],
    returning: Sequence[str],
) -> Sequence[Any]:
    """``INSERT … ON CONFLICT (unique) DO NOTHING RETURNING``: the rows actually inserted.

    SQLite: one statement with bound parameters per row (SQLAlchemy's "insertmanyvalues").
    PostgreSQL: one array parameter per column, unnested by the server; the same statement
    with a placeholder per value made psycopg re-parse a query of thousands of placeholders
    for each batch (half the client's CPU of a baseline).
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        statement = (
            dialect_insert(session, table)
            .on_conflict_do_nothing(index_elements=list(unique))
            .returning(*(table.c[name] for name in returning))
        )
        return connection.execute(statement, list(rows)).all()
    dialect = connection.dialect
    names = list(rows[0])
    arrays: dict[str, list[Any]] = {}
    for name in names:
        values = [row[name] for row in rows]
        if isinstance(table.c[name].type, JSON):  # as text, cast to json[] by the server
            arrays[name] = [None if value is None else json.dumps(value) for value in values]
            continue
        process = table.c[name].type.bind_processor(dialect)
        arrays[name] = [process(value) for value in values] if process else values
    unnest = ", ".join(
        f"CAST(:{name} AS {table.c[name].type.compile(dialect)}[])" for name in names
    )
    columns = ", ".join(f'"{name}"' for name in names)
    sql = (  # names from the table's metadata only; every value is a bound parameter
        f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM unnest({unnest}) '  # noqa: S608
        f"ON CONFLICT ({', '.join(unique)}) DO NOTHING "
        f"RETURNING {', '.join(returning)}"
    )
    return connection.execute(text(sql), arrays).all()


def _claim_document_keys(
    session: Session, entries: Sequence[ToStore], new_ids: dict[int, int]
) -> dict[int, int]:
    """Claim the identity keys of the new rows; ``{index: owner id}`` for each record whose
    key another source's publication holds (stored before, or earlier in this batch)."""
    keys_of = {index: record_document_keys(entries[index].record) for index in sorted(new_ids)}
    claimant: dict[str, int] = {}  # key -> index of the first record in the batch asking
    for index, keys in keys_of.items():
        for key in keys:
            claimant.setdefault(key, index)
    if not claimant:
        return {}
    connection = session.connection()
    claims = [{"key": key, "publication_id": new_ids[index]} for key, index in claimant.items()]
    claimed = {row[0] for row in insert_new(session, DOCUMENT_KEYS, claims, ("key",), ("key",))}
    owners: dict[str, tuple[int, str]] = {
        key: (new_ids[index], entries[index].record.source_id)
        for key, index in claimant.items()
        if key in claimed
    }
    taken_before = [key for key in claimant if key not in claimed]
    if taken_before:
        owners.update(
            (key, (publication_id, source_id))
            for key, publication_id, source_id in connection.execute(
                select(DOCUMENT_KEYS.c.key, PUBLICATIONS.c.id, PUBLICATIONS.c.source_id)
                .join(PUBLICATIONS, PUBLICATIONS.c.id == DOCUMENT_KEYS.c.publication_id)
                .where(DOCUMENT_KEYS.c.key.in_(taken_before))
            )
        )
    duplicate_of: dict[int, int] = {}
    for index, keys in keys_of.items():
        source_id = entries[index].record.source_id
        for key in keys:
            owner_id, owner_source = owners[key]
            if owner_id != new_ids[index] and owner_source != source_id:
                duplicate_of[index] = owner_id
                break
    return duplicate_of


def _per_source(column: Any, wanted: dict[str, set[Any]]) -> ColumnElement[bool]:
    """``source_id = s AND column IN (…)`` for each source, ORed: each term a search of the
    ``(source_id, column)`` index on both backends (a row-value ``IN`` made SQLite scan)."""
    return or_(
        *(
            and_(PUBLICATIONS.c.source_id == source_id, column.in_(sorted(values)))
            for source_id, values in sorted(wanted.items())
        )
    )


def stored_doc_keys(session: Session, records: Sequence[NewPublication]) -> set[tuple[str, str]]:
    """The ``(source_id, stored doc_key)`` pairs of these records already stored (one
    query, on the unique index)."""
    wanted: dict[str, set[Any]] = {}
    for record in records:
        wanted.setdefault(record.source_id, set()).add(stored_doc_key(record.doc_key))
    if not wanted:
        return set()
    rows = session.connection().execute(
        select(PUBLICATIONS.c.source_id, PUBLICATIONS.c.doc_key).where(
            _per_source(PUBLICATIONS.c.doc_key, wanted)
        )
    )
    return {(source_id, doc_key) for source_id, doc_key in rows}


def known_elsewhere_many(
    session: Session, records: Sequence[NewPublication]
) -> list[KnownPublication | None]:
    """For each record, what :func:`storage.publications.known_elsewhere` answers: a stored
    publication of the same source, title and day under another key (the oldest such
    row), or None; one query for the batch, on the ``(source_id, published_on)`` index."""
    days: dict[str, set[Any]] = {}
    for record in records:
        day = split_published(record.published)[0]
        if record.url_identifies and day is not None:
            days.setdefault(record.source_id, set()).add(day)
    stored: dict[tuple[str, date, str], list[KnownPublication]] = {}
    if days:
        rows = session.connection().execute(
            select(
                PUBLICATIONS.c.id,
                PUBLICATIONS.c.doc_key,
                PUBLICATIONS.c.url,
                PUBLICATIONS.c.source_id,
                PUBLICATIONS.c.published_on,
                PUBLICATIONS.c.title,
            )
            .where(_per_source(PUBLICATIONS.c.published_on, days))
            .order_by(PUBLICATIONS.c.id)
        )
        for row_id, doc_key, url, source_id, day, title in rows:
            stored.setdefault((source_id, day, title), []).append(
                KnownPublication(row_id, doc_key, url)
            )
    answers: list[KnownPublication | None] = []
    for record in records:
        day = split_published(record.published)[0]
        found = None
        if record.url_identifies and day is not None:
            key = stored_doc_key(record.doc_key)
            same = stored.get((record.source_id, day, record.title), [])
            found = next((known for known in same if known.doc_key != key), None)
        answers.append(found)
    return answers
