"""JsonApiSpider: a JSON search API whose items sit at a dotted path.

Field paths come from the config's ``api`` section. An empty or non-JSON body is a failed
run (``parse_error``), never "nothing new".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request
from scrapy.http import Response

from crawler.dates import parse_date
from crawler.errors import DateParseError, FeedParseError, LayoutChanged
from crawler.items import Publication
from crawler.sources import ApiFields
from spiders.base import SourceSpider


def dig(data: Any, path: str) -> Any:
    """``dig({"a": {"b": 1}}, "a.b") == 1``; None where the path does not exist."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def with_query(url: str, **params: Any) -> str:
    """``url`` with query parameters set (replacing existing ones of the same name)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({key: str(value) for key, value in params.items()})
    return urlunsplit(parts._replace(query=urlencode(query)))


class JsonApiSpider(SourceSpider):
    name = "json_api"

    @property
    def fields(self) -> ApiFields:
        if self.source.api is None:
            raise LayoutChanged(self.source.id, None, "no 'api' section configured")
        return self.source.api

    def parse_page(self, response: Response) -> Iterator[Publication | Request]:
        data = self.decode(response)
        records = dig(data, self.fields.items_path)
        if not isinstance(records, list):
            raise LayoutChanged(
                self.source.id, response.url, f"no list at {self.fields.items_path!r} in the JSON"
            )
        if not records:
            if response.meta.get("page", 1) > 1:
                return  # paging ran past the last page: the end of the listing, not an error
            raise LayoutChanged(self.source.id, response.url, "the API returned no items")
        for record in records:
            item = self.record_to_item(record, response)
            if item is not None:
                yield item
        yield from self.next_pages(response, data)

    def decode(self, response: Response) -> Any:
        if not response.body.strip():
            raise FeedParseError(self.source.id, response.url, "the API returned an empty body")
        try:
            return json.loads(response.body)
        except ValueError as exc:
            start = response.body[:60].decode("utf-8", "replace")
            raise FeedParseError(
                self.source.id, response.url, f"the API did not return JSON (starts {start!r})"
            ) from exc

    def is_last_page(self, data: Any) -> bool:
        """Hook: whether the response says there is nothing after it (default: unknown)."""
        return False

    def record_to_item(self, record: dict[str, Any], response: Response) -> Publication | None:
        fields = self.fields
        if fields.link_template:
            link = fields.link_template.format_map(_Formatter(record))
        else:
            link = str(dig(record, fields.link or "") or "")
        url = response.urljoin(link)
        try:
            published = parse_date(
                str(dig(record, fields.date) or ""),
                timezone=self.source.timezone,
                source_id=self.source.id,
                url=url,
            )
        except DateParseError as exc:
            self.run.reject(url, str(exc))
            return None
        native_id = dig(record, fields.id)
        return self.item(
            url=url,
            title=str(dig(record, fields.title) or ""),
            native_id=str(native_id) if native_id is not None else None,
            published=published,
            summary=_text_or_none(dig(record, fields.summary)) if fields.summary else None,
            doc_type=_text_or_none(dig(record, fields.doc_type)) if fields.doc_type else None,
        )

    def next_pages(self, response: Response, data: Any) -> Iterator[Request]:
        page = int(response.meta.get("page", 1))
        if not self.fields.page_param or page >= self.run.max_pages or self.is_last_page(data):
            return
        next_number = self.fields.first_page + page
        yield self.request(
            with_query(response.url, **{self.fields.page_param: next_number}), page=page + 1
        )


class _Formatter(dict[str, Any]):
    """Lets ``link_template`` use dotted paths: ``{refCode}`` or ``{docutype.code}``."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__()
        self.record = record

    def __missing__(self, key: str) -> str:
        return str(dig(self.record, key) or "")


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
