"""JsonApiSpider: a JSON search API whose items sit at a dotted path.

Field paths come from the config's ``api`` section (``items_path: ""`` when the body is
the list itself). An empty or non-JSON body is a failed run (``parse_error``), never
"nothing new". Dates are text, or Unix timestamps when ``date_format`` says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from scrapy import Request
from scrapy.http import Response

from crawler.dates import parse_date
from crawler.errors import DateParseError, FeedParseError, LayoutChanged
from crawler.items import PublicationItem
from crawler.sources import ApiFields
from spiders.base import SourceSpider
from spiders.feed import html_to_text

EPOCH_DIVISORS = {"epoch_s": 1, "epoch_ms": 1000}
TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


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
    """``url`` with query parameters set (replacing existing ones of the same name, in
    place). Repeated parameters such as ``conditions[agencies][]=a&…=b`` are kept."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(key, str(params[key]) if key in params else value) for key, value in pairs]
    query = [pair for i, pair in enumerate(query) if pair[0] not in params or pair not in query[:i]]
    query += [(key, str(value)) for key, value in params.items() if key not in dict(pairs)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class JsonApiSpider(SourceSpider):
    name = "json_api"

    @property
    def fields(self) -> ApiFields:
        if self.source.api is None:
            raise LayoutChanged(self.source.id, None, "no 'api' section configured")
        return self.source.api

    def parse_page(self, response: Response) -> Iterator[PublicationItem | Request]:
        data = self.decode(response)
        path = self.fields.items_path
        records = dig(data, path) if path else data
        if not isinstance(records, list):
            where = f"at {path!r} in the JSON" if path else "as the JSON body"
            raise LayoutChanged(self.source.id, response.url, f"no list {where}")
        if not records:
            if response.meta.get("page", 1) > 1:
                return  # paging ran past the last page: the end of the listing, not an error
            raise LayoutChanged(self.source.id, response.url, "the API returned no items")
        for record in records:
            item = self.item_or_reject(self.record_to_item, record, response)
            if item is not None and self.source.keeps(item.url):
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

    def record_to_item(self, record: dict[str, Any], response: Response) -> PublicationItem | None:
        fields = self.fields
        if fields.link_template:
            link = fill_template(fields.link_template, record)
        else:
            link = str(dig(record, fields.link or "") or "")
        url = response.urljoin(link)
        published = self.record_date(record, url)
        native_id = dig(record, fields.id)
        return self.item(
            url=url,
            title=str(dig(record, fields.title) or ""),
            native_id=str(native_id) if native_id is not None else None,
            published=published,
            summary=html_to_text(_text_or_none(dig(record, fields.summary)))
            if fields.summary
            else None,
            doc_type=self.record_doc_type(record),
        )

    def record_doc_type(self, record: dict[str, Any]) -> str | None:
        """The record's type label, as the API writes it or in snake_case (config)."""
        label = _text_or_none(dig(record, self.fields.doc_type)) if self.fields.doc_type else None
        if label is None or self.fields.doc_type_style == "as_is":
            return label
        return re.sub(r"\W+", "_", label.strip().lower()).strip("_") or None

    def record_date(self, record: dict[str, Any], url: str) -> date | datetime:
        raw = dig(record, self.fields.date)
        if raw in (None, "") and self.fields.date_fallbacks:
            # Sites rename their date key between versions (gov.cn: pubtime, ptime in epoch
            # ms, pubtimeStr as text): the first fallback key that holds a value is read.
            for path in self.fields.date_fallbacks:
                value = dig(record, path)
                if value not in (None, ""):
                    return self.read_date_value(value, _number_format(value), url)
        return self.read_date_value(raw, self.fields.date_format, url)

    def read_date_value(self, raw: Any, date_format: str, url: str) -> date | datetime:
        """``raw`` as text (any form crawler.dates reads) or as a Unix timestamp."""
        divisor = EPOCH_DIVISORS.get(date_format)
        if divisor is None:
            return parse_date(
                str(raw or ""), timezone=self.source.timezone, source_id=self.source.id, url=url
            )
        try:
            instant = datetime.fromtimestamp(int(str(raw)) / divisor, tz=UTC)
        except (TypeError, ValueError, OverflowError) as exc:
            reason = f"not a Unix timestamp ({date_format})"
            raise DateParseError(self.source.id, url, str(raw), reason) from exc
        return instant.astimezone(ZoneInfo(self.source.timezone))

    def next_pages(self, response: Response, data: Any) -> Iterator[Request]:
        page = int(response.meta.get("page", 1))
        if self.fields.next_page_url:
            # Cursor paging (Federal Register: ``search_after_cursor``): the API says where
            # the next page is; a page number built here would skip or repeat documents.
            following = dig(data, self.fields.next_page_url)
            if isinstance(following, str) and following.strip() and page < self.run.max_pages:
                yield self.request(response.urljoin(following.strip()), page=page + 1)
            return
        if not self.fields.page_param or page >= self.run.max_pages or self.is_last_page(data):
            return
        next_number = self.fields.first_page + page
        yield self.request(
            with_query(response.url, **{self.fields.page_param: next_number}), page=page + 1
        )


def fill_template(template: str, record: dict[str, Any]) -> str:
    """``link_template`` with each ``{path}`` replaced by the record's value at that dotted
    path: ``{refCode}``, ``{data.url}`` (str.format would read ``.url`` as an attribute)."""
    return TEMPLATE_FIELD.sub(lambda match: str(dig(record, match[1]) or ""), template)


def _number_format(value: Any) -> str:
    """How a fallback date value is written: digits are a timestamp (ms from 13 digits)."""
    digits = str(value).strip()
    if isinstance(value, int | float) or digits.isdigit():
        return "epoch_ms" if len(digits.split(".")[0]) >= 13 else "epoch_s"
    return "text"


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
