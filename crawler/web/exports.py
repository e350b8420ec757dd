"""Every filtered list out of govwatch: Atom for feed readers, CSV and JSON for analysts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from crawler.web.filters import parse_list_request
from crawler.web.records import CSV_COLUMNS, csv_row, publication_record
from crawler.web.state import web_state
from storage import publications_read as read
from storage.db import transaction
from storage.models import Publication, utcnow
from storage.publications_read import PublicationFilter

FEED_ENTRIES = 100
EXPORT_CHUNK = 1000


def atom_feed(request: Request) -> Response:
    """``/feed.atom?…``: the newest 100 publications of the filtered list."""
    state = web_state(request)
    asked = parse_list_request(request.query_params)
    with transaction(state.engine) as session:
        found = read.list_publications(session, asked.wanted, limit=FEED_ENTRIES)
    updated = max((p.first_seen_at for p in found), default=utcnow())
    body = state.templates.get_template("feed.xml").render(
        publications=found,
        updated=updated,
        self_url=str(request.url),
        site_url=str(request.base_url),
        wanted=asked.wanted,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def csv_export(request: Request) -> Response:
    """``/export.csv?…``: every matching publication, one row each, UTF-8 with a header."""
    state = web_state(request)
    wanted = parse_list_request(request.query_params).wanted

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for chunk in _chunks(state.engine, wanted):
            for publication in chunk:
                writer.writerow(csv_row(publication))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    headers = {"Content-Disposition": 'attachment; filename="govwatch-publications.csv"'}
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers=headers)


def json_export(request: Request) -> Response:
    """``/export.json?…``: a JSON array of the records ``publications --json`` prints."""
    state = web_state(request)
    wanted = parse_list_request(request.query_params).wanted

    def parts() -> Iterator[str]:
        yield "["
        first = True
        for chunk in _chunks(state.engine, wanted):
            for publication in chunk:
                yield ("" if first else ",\n") + json.dumps(
                    publication_record(publication), ensure_ascii=False
                )
                first = False
        yield "]\n"

    return StreamingResponse(parts(), media_type="application/json; charset=utf-8")


def _chunks(engine: Engine, wanted: PublicationFilter) -> Iterator[list[Publication]]:
    offset = 0
    while True:
        with transaction(engine) as session:
            chunk = read.list_publications(session, wanted, limit=EXPORT_CHUNK, offset=offset)
        if not chunk:
            return
        yield chunk
        offset += len(chunk)
