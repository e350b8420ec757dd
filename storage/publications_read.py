"""Reading stored publications: the lists, search, detail and metrics the web app and
``govwatch publications`` show. Every SQL statement they need lives here.

Search is substring search over title and summary, each whitespace-separated term required.
On SQLite a term of three characters or more goes through the FTS5 trigram index
(migration 0006); a shorter term — a one- or two-character Japanese, Chinese or Korean
word — is looked up in the index's vocabulary (see :func:`_short_term`): absent, rare
(searched through the trigrams that begin with it) or common (matched with ``LIKE``).
On PostgreSQL every term is an ``ILIKE``, served by the ``pg_trgm`` GIN indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from storage.models import AlertOutbox, CrawlRun, Publication, Source
from storage.search_schema import FTS_TABLE

TRIGRAM = 3
# A short word whose trigrams are in this many rows (counted per trigram) is common: a
# newest-first LIKE scan meets a page of matches before an index lookup gathers them all.
COMMON_ROWS = 2000
SHORT_TERM_MAX_TRIGRAMS = 300


@dataclass(frozen=True)
class PublicationFilter:
    """What a list asks for; empty fields do not filter. Dates bound ``published_on``."""

    q: str = ""
    source: str = ""
    country: str = ""
    publisher: str = ""
    language: str = ""
    doc_type: str = ""
    topic: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def terms(self) -> list[str]:
        return self.q.split()


@dataclass(frozen=True)
class Facets:
    """The distinct values a filter can take, for the web form's choices."""

    sources: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    doc_types: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


def list_publications(
    session: Session, wanted: PublicationFilter, *, limit: int = 50, offset: int = 0
) -> list[Publication]:
    """Matching publications, newest publication date first (undated last), then newest id."""
    dialect = session.get_bind().dialect.name
    query = select(Publication).where(*_conditions(session, wanted, dialect))
    query = _newest_first(query, dialect).limit(limit).offset(offset)
    return list(session.scalars(query))


def get_publication(session: Session, publication_id: int) -> Publication | None:
    return session.get(Publication, publication_id)


def outbox_rows(session: Session, publication_id: int) -> list[AlertOutbox]:
    """Where this publication's alerts went, and when, in the order they were queued."""
    query = (
        select(AlertOutbox)
        .where(AlertOutbox.publication_id == publication_id)
        .order_by(AlertOutbox.id)
    )
    return list(session.scalars(query))


def publication_run(session: Session, publication: Publication) -> CrawlRun | None:
    return session.get(CrawlRun, publication.run_id) if publication.run_id else None


def facets(session: Session) -> Facets:
    """Distinct source, country, publisher, language, document type and topic values."""

    def distinct(column: Any) -> list[str]:
        rows = session.scalars(select(column).where(column.is_not(None)).distinct())
        return sorted(str(value) for value in rows if value)

    return Facets(
        sources=distinct(Publication.source_id),
        countries=distinct(Publication.country),
        publishers=distinct(Publication.publisher),
        languages=distinct(Publication.language),
        doc_types=distinct(Publication.doc_type),
        topics=_distinct_topics(session),
    )


def recent_runs(
    session: Session, source_ids: Sequence[str], per_source: int
) -> dict[str, list[CrawlRun]]:
    """The newest ``per_source`` runs of each source, newest first."""
    ranked = (
        select(
            CrawlRun.id,
            func.row_number()
            .over(partition_by=CrawlRun.source_id, order_by=CrawlRun.id.desc())
            .label("rank"),
        )
        .where(CrawlRun.source_id.in_(source_ids))
        .subquery()
    )
    runs = session.scalars(
        select(CrawlRun)
        .join(ranked, ranked.c.id == CrawlRun.id)
        .where(ranked.c.rank <= per_source)
        .order_by(CrawlRun.source_id, CrawlRun.id.desc())
    )
    found: dict[str, list[CrawlRun]] = {source_id: [] for source_id in source_ids}
    for run in runs:
        found.setdefault(run.source_id, []).append(run)
    return found


# --- metrics, read at scrape time (crawler/web/metrics.py) ---


def runs_by_source_and_outcome(session: Session) -> list[tuple[str, str, int]]:
    rows = session.execute(
        select(CrawlRun.source_id, CrawlRun.outcome, func.count()).group_by(
            CrawlRun.source_id, CrawlRun.outcome
        )
    )
    return [(str(source), str(outcome), int(count)) for source, outcome, count in rows]


def new_items_by_source(session: Session) -> list[tuple[str, int]]:
    """New (non-baseline) items per source, as the runs recorded them."""
    rows = session.execute(
        select(CrawlRun.source_id, func.coalesce(func.sum(CrawlRun.items_new), 0))
        .where(CrawlRun.is_baseline.is_(False))
        .group_by(CrawlRun.source_id)
    )
    return [(str(source), int(count)) for source, count in rows]


def alerts_by_kind_and_status(session: Session) -> list[tuple[str, str, int]]:
    rows = session.execute(
        select(AlertOutbox.kind, AlertOutbox.status, func.count()).group_by(
            AlertOutbox.kind, AlertOutbox.status
        )
    )
    return [(str(kind), str(status), int(count)) for kind, status, count in rows]


def delivery_latencies(session: Session) -> list[float]:
    """Seconds from queueing to delivery of every delivered alert."""
    rows = session.execute(
        select(AlertOutbox.created_at, AlertOutbox.sent_at).where(
            AlertOutbox.status == "sent", AlertOutbox.sent_at.is_not(None)
        )
    )
    return [
        max(0.0, (sent - created).total_seconds())
        for created, sent in rows
        if isinstance(created, datetime) and isinstance(sent, datetime)
    ]


def sources_by_state(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(select(Source.state, func.count()).group_by(Source.state))
    return [(str(state), int(count)) for state, count in rows]


# --- building the query ---


def _conditions(
    session: Session, wanted: PublicationFilter, dialect: str
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    equal = {
        Publication.source_id: wanted.source,
        Publication.country: wanted.country,
        Publication.publisher: wanted.publisher,
        Publication.language: wanted.language,
        Publication.doc_type: wanted.doc_type,
    }
    conditions.extend(column == value for column, value in equal.items() if value)
    if wanted.date_from is not None:
        conditions.append(Publication.published_on >= wanted.date_from)
    if wanted.date_to is not None:
        conditions.append(Publication.published_on <= wanted.date_to)
    if wanted.topic:
        conditions.append(_has_topic(wanted.topic, dialect))
    conditions.extend(_search_conditions(session, wanted.terms(), dialect))
    return conditions


def _search_conditions(
    session: Session, terms: list[str], dialect: str
) -> list[ColumnElement[bool]]:
    if dialect != "sqlite":
        return [_like(term) for term in terms]
    conditions: list[ColumnElement[bool]] = []
    matches = [_fts_phrase(term) for term in terms if len(term) >= TRIGRAM]
    for term in (term for term in terms if len(term) < TRIGRAM):
        short = _short_term(session, term)
        if short is None:
            return [false()]  # the word occurs nowhere: nothing can match
        if short:
            matches.append(short)
        else:
            conditions.append(_like(term))
    if matches:
        match = " AND ".join(matches)
        conditions.append(
            Publication.id.in_(
                select(literal_column("rowid"))
                .select_from(text(FTS_TABLE))
                .where(text(f"{FTS_TABLE} MATCH :fts_match").bindparams(fts_match=match))
            )
        )
    return conditions


def _short_term(session: Session, term: str) -> str | None:
    """How to find a one- or two-character word on SQLite.

    Every occurrence starts an indexed trigram (the index pads each value, migration 0006),
    so the vocabulary says which trigrams begin with the word and in how many rows each is.
    None: it occurs nowhere. ``""``: it is common, so scanning newest-first with LIKE finds
    a page quickly. Otherwise an FTS expression, any of those trigrams.
    """
    folded = term.lower()
    rows = session.execute(
        text(
            "SELECT term, doc FROM publications_fts_vocab WHERE term >= :low AND term < :high"
        ).bindparams(low=folded, high=folded + "\U0010ffff")
    ).all()
    if not rows:
        return None
    if len(rows) > SHORT_TERM_MAX_TRIGRAMS or sum(int(doc) for _, doc in rows) >= COMMON_ROWS:
        return ""
    return "(" + " OR ".join(_fts_phrase(str(trigram)) for trigram, _ in rows) + ")"


def _like(term: str) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(term)}%"
    return or_(
        Publication.title.ilike(pattern, escape="\\"),
        func.coalesce(Publication.summary, "").ilike(pattern, escape="\\"),
    )


def _fts_phrase(term: str) -> str:
    """An FTS5 string literal: the term is matched as a substring, never parsed as syntax."""
    return '"' + term.replace('"', '""') + '"'


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_topic(topic: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        elements = func.json_array_elements_text(Publication.topics).table_valued("value")
    else:
        elements = func.json_each(Publication.topics).table_valued("value")
    return exists(select(literal(1)).select_from(elements).where(elements.c.value == topic))


def _distinct_topics(session: Session) -> list[str]:
    dialect = session.get_bind().dialect.name
    function = func.json_array_elements_text if dialect == "postgresql" else func.json_each
    elements = function(Publication.topics).table_valued("value")
    rows = session.scalars(
        select(elements.c.value).select_from(Publication).join(elements, true()).distinct()
    )
    return sorted(str(value) for value in rows if value)


def _newest_first(query: Select[Any], dialect: str) -> Select[Any]:
    if dialect == "postgresql":
        return query.order_by(Publication.published_on.desc().nulls_last(), Publication.id.desc())
    # SQLite sorts NULL lowest, so DESC already puts undated publications last.
    return query.order_by(Publication.published_on.desc(), Publication.id.desc())
