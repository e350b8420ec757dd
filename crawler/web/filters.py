"""Query-string parameters → a :class:`PublicationFilter`, with readable complaints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.datastructures import QueryParams

from storage.publications_read import PublicationFilter

PAGE_SIZE = 50
FILTER_FIELDS = ("q", "source", "country", "publisher", "language", "doc_type", "topic")


@dataclass(frozen=True)
class ListRequest:
    wanted: PublicationFilter
    page: int
    problems: list[str]


def parse_list_request(params: QueryParams) -> ListRequest:
    """Unreadable dates or page numbers are ignored and reported, never a 500."""
    problems: list[str] = []
    values = {name: params.get(name, "").strip() for name in FILTER_FIELDS}
    dates: dict[str, date | None] = {}
    for name in ("date_from", "date_to"):
        raw = params.get(name, "").strip()
        dates[name] = None
        if raw:
            try:
                dates[name] = date.fromisoformat(raw)
            except ValueError:
                problems.append(f"{name} {raw!r} is not a date like 2026-01-31; ignored")
    page = 1
    raw_page = params.get("page", "1").strip() or "1"
    if raw_page.isdigit() and int(raw_page) >= 1:
        page = int(raw_page)
    else:
        problems.append(f"page {raw_page!r} is not a page number; showing page 1")
    wanted = PublicationFilter(**values, date_from=dates["date_from"], date_to=dates["date_to"])
    return ListRequest(wanted=wanted, page=page, problems=problems)


def query_string(wanted: PublicationFilter, **extra: object) -> str:
    """The filter as a query string, for links to the next page, the feed and the exports."""
    from urllib.parse import urlencode

    pairs: list[tuple[str, str]] = [
        (name, str(getattr(wanted, name))) for name in FILTER_FIELDS if getattr(wanted, name)
    ]
    for name in ("date_from", "date_to"):
        value = getattr(wanted, name)
        if value is not None:
            pairs.append((name, value.isoformat()))
    pairs.extend((name, str(value)) for name, value in extra.items() if value is not None)
    return urlencode(pairs)
